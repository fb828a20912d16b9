//! LwM2M paths: `/`, `/O`, `/O/I`, `/O/I/R`, `/O/I/R/RI`.

use core::fmt;
use heapless::Vec as HVec;

/// An LwM2M path of 0 to 4 IDs. The empty path is the root `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path {
    ids: HVec<u16, 4>,
}

/// Why a URI path is not an LwM2M path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// More than four segments (object/instance/resource/resource instance).
    TooDeep,
    /// A segment is not a decimal number in 0..=65534.
    NotAnId,
}

impl Path {
    /// The root path `/`.
    pub const fn root() -> Path {
        Path { ids: HVec::new() }
    }

    /// Builds a path from up to four IDs; `None` when more are given.
    pub fn from_ids(ids: &[u16]) -> Option<Path> {
        HVec::from_slice(ids).ok().map(|ids| Path { ids })
    }

    /// `/O`.
    pub fn object(object: u16) -> Path {
        Path::from_ids(&[object]).unwrap_or_default()
    }

    /// `/O/I`.
    pub fn instance(object: u16, instance: u16) -> Path {
        Path::from_ids(&[object, instance]).unwrap_or_default()
    }

    /// `/O/I/R`.
    pub fn resource(object: u16, instance: u16, resource: u16) -> Path {
        Path::from_ids(&[object, instance, resource]).unwrap_or_default()
    }

    /// Parses CoAP Uri-Path segments. No segments, or one empty segment, is the root.
    /// 65535 is reserved (it means "absent" in the C API) and refused.
    pub fn parse(segments: &[&str]) -> Result<Path, PathError> {
        let segments = match segments {
            [""] => &[][..],
            s => s,
        };
        if segments.len() > 4 {
            return Err(PathError::TooDeep);
        }
        let mut ids = HVec::new();
        for segment in segments {
            let id = parse_id(segment).ok_or(PathError::NotAnId)?;
            ids.push(id).map_err(|_| PathError::TooDeep)?;
        }
        Ok(Path { ids })
    }

    /// Number of IDs: 0 for `/`, 1 for `/O`, up to 4.
    pub fn depth(&self) -> usize {
        self.ids.len()
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.ids.is_empty()
    }

    /// The object ID, if any.
    pub fn object_id(&self) -> Option<u16> {
        self.ids.first().copied()
    }

    /// The object instance ID, if any.
    pub fn instance_id(&self) -> Option<u16> {
        self.ids.get(1).copied()
    }

    /// The resource ID, if any.
    pub fn resource_id(&self) -> Option<u16> {
        self.ids.get(2).copied()
    }

    /// The resource instance ID, if any.
    pub fn resource_instance_id(&self) -> Option<u16> {
        self.ids.get(3).copied()
    }

    /// The IDs as a slice.
    pub fn ids(&self) -> &[u16] {
        &self.ids
    }
}

fn parse_id(segment: &str) -> Option<u16> {
    if segment.is_empty() || segment.len() > 5 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse::<u32>().ok().filter(|&v| v < 65535).map(|v| v as u16)
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ids.is_empty() {
            return f.write_str("/");
        }
        for id in &self.ids {
            write!(f, "/{id}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_every_depth() {
        assert_eq!(Path::parse(&[]).unwrap(), Path::root());
        assert_eq!(Path::parse(&[""]).unwrap(), Path::root());
        let p = Path::parse(&["0", "1", "10"]).unwrap();
        assert_eq!((p.object_id(), p.instance_id(), p.resource_id()), (Some(0), Some(1), Some(10)));
        assert_eq!(p.to_string(), "/0/1/10");
        assert_eq!(Path::parse(&["1", "0", "7", "3"]).unwrap().resource_instance_id(), Some(3));
        assert_eq!(Path::root().to_string(), "/");
    }

    #[test]
    fn refuses_bad_segments() {
        assert_eq!(Path::parse(&["1", "2", "3", "4", "5"]), Err(PathError::TooDeep));
        assert_eq!(Path::parse(&["x"]), Err(PathError::NotAnId));
        assert_eq!(Path::parse(&["65535"]), Err(PathError::NotAnId));
        assert_eq!(Path::parse(&["99999999999"]), Err(PathError::NotAnId));
        assert_eq!(Path::parse(&["-1"]), Err(PathError::NotAnId));
        assert_eq!(Path::parse(&["1", ""]), Err(PathError::NotAnId));
        assert_eq!(Path::parse(&["65534"]).unwrap().object_id(), Some(65534));
    }
}

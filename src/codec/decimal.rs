//! Decimal text to `f64`, correctly rounded (round half to even), without core's `dec2flt`.
//!
//! The plain-text format carries a Float resource as a decimal number (LwM2M Core 1.1 §7.4.1,
//! Table 7.3.1-1). core's parser is exact but costs about 17 KB of flash on a Cortex-M (a
//! 10 KB table of powers of five among it); a value a server writes is almost always short,
//! so this parser takes two paths:
//! - **fast** (Clinger 1990): a significand below 2^53 times a power of ten up to 10^22 is one
//!   exact `f64` multiplication or division, hence correctly rounded;
//! - **exact**: otherwise an approximation is corrected one unit in the last place at a time by
//!   comparing it with the decimal value in big-integer arithmetic (Clinger's AlgorithmR).
//!
//! The input has been checked by the caller: `[-]digits[.digits][(e|E)[+|-]digits]`.

use alloc::vec::Vec;

/// Exact powers of ten as `f64` (10^0 ..= 10^22: 5^22 < 2^53).
const MAX_EXACT_POW10: i32 = 22;
/// Largest significand the fast path takes (2^53).
const MAX_EXACT_INT: u64 = 1 << 53;

/// The correctly rounded `f64` of a checked decimal `text`; infinite when it overflows.
pub fn parse(text: &str) -> f64 {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = parse_unsigned(unsigned.as_bytes());
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

// Bytes, not `str`: the text is checked ASCII, and byte slices cannot fail on a char boundary
// (whose panic message would pull `char`'s Debug and Unicode tables into firmware).
fn parse_unsigned(text: &[u8]) -> f64 {
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e' || b == b'E') {
        Some(at) => (&text[..at], parse_exponent(&text[at + 1..])),
        None => (text, 0),
    };
    let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
        Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
        None => (mantissa, &[][..]),
    };
    // The significant digits, without leading and trailing zeros, and the power of ten that
    // scales them (saturating: far beyond any representable magnitude anyway).
    let all = int.iter().chain(frac).copied();
    let mut digits: Vec<u8> = all.skip_while(|&d| d == b'0').map(|d| d - b'0').collect();
    let mut power = exponent.saturating_sub(frac.len() as i64);
    while digits.last() == Some(&0) {
        digits.pop();
        power = power.saturating_add(1);
    }
    if digits.is_empty() {
        return 0.0;
    }
    let magnitude = digits.len() as i64 + power; // value < 10^magnitude
    if magnitude > 310 {
        return f64::INFINITY;
    }
    if magnitude < -330 {
        return 0.0;
    }
    let power = power as i32;
    if digits.len() <= 19 {
        let significand = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d));
        if significand <= MAX_EXACT_INT && (-MAX_EXACT_POW10..=MAX_EXACT_POW10).contains(&power) {
            let scale = pow10(power.unsigned_abs());
            let significand = significand as f64;
            return if power < 0 { significand / scale } else { significand * scale };
        }
    }
    correct(&digits, power, approximate(&digits, power))
}

/// The exponent's value, saturating at ±10^9 (an exponent that large over- or underflows).
fn parse_exponent(text: &[u8]) -> i64 {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits.iter().fold(0i64, |n, &d| (n * 10 + i64::from(d - b'0')).min(1_000_000_000));
    if negative {
        -value
    } else {
        value
    }
}

/// 10^n as `f64`, exact for n ≤ 22.
fn pow10(n: u32) -> f64 {
    (0..n).fold(1.0, |p, _| p * 10.0)
}

/// A first guess within a few units in the last place: the first 19 digits scaled by powers
/// of ten in steps of at most 10^22; zero becomes the least subnormal, infinity the largest
/// finite value (`correct` moves on from there).
fn approximate(digits: &[u8], power: i32) -> f64 {
    let head = &digits[..digits.len().min(19)];
    let mut z = head.iter().fold(0u64, |n, &d| n * 10 + u64::from(d)) as f64;
    let mut power = power + (digits.len() - head.len()) as i32;
    while power != 0 && z != 0.0 && z.is_finite() {
        let step = power.clamp(-MAX_EXACT_POW10, MAX_EXACT_POW10);
        let scale = pow10(step.unsigned_abs());
        z = if step < 0 { z / scale } else { z * scale };
        power -= step;
    }
    if z == 0.0 {
        f64::from_bits(1)
    } else if z.is_infinite() {
        f64::MAX
    } else {
        z
    }
}

/// AlgorithmR: moves `z` (positive, finite) one unit in the last place at a time towards the
/// exact value digits × 10^power until it is the nearest `f64` (ties to even).
fn correct(digits: &[u8], power: i32, mut z: f64) -> f64 {
    let mut decimal = Big::from_digits(digits);
    let mut denominator = Big::from_u64(1);
    if power >= 0 {
        decimal.mul_pow10(power as u32);
    } else {
        denominator.mul_pow10(power.unsigned_abs());
    }
    loop {
        let bits = z.to_bits();
        let (biased, fraction) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
        let (significand, exponent) = match biased {
            0 => (fraction, -1074),
            _ => (fraction | 1 << 52, biased - 1075),
        };
        // exact = a / d, z = b / d, one ulp = ulp / d, all integers.
        let mut a = decimal.clone();
        let mut b = denominator.clone();
        b.mul_u64(significand);
        let mut ulp = denominator.clone();
        if exponent >= 0 {
            b.shl(exponent as u32);
            ulp.shl(exponent as u32);
        } else {
            a.shl(exponent.unsigned_abs());
        }
        let below = a < b; // the exact value is below z
        let mut twice_distance = if below { b.sub(&a) } else { a.sub(&b) };
        twice_distance.shl(1);
        // Below a power of two the next lower f64 is half an ulp away.
        let half_gap_below = below && fraction == 0 && biased > 1;
        if half_gap_below {
            twice_distance.shl(1);
        }
        let step_down = match twice_distance.cmp(&ulp) {
            core::cmp::Ordering::Less => return z,
            core::cmp::Ordering::Equal if significand % 2 == 0 || half_gap_below => return z,
            _ => below,
        };
        if step_down {
            if bits == 1 {
                return 0.0; // nearer to zero than to the least subnormal
            }
            z = f64::from_bits(bits - 1);
        } else {
            if bits == f64::MAX.to_bits() {
                return f64::INFINITY;
            }
            z = f64::from_bits(bits + 1);
        }
    }
}

/// An unsigned big integer, little-endian base 2^32 limbs, no high zero limbs.
#[derive(Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut big = Big(alloc::vec![v as u32, (v >> 32) as u32]);
        big.trim();
        big
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
            big.mul_add(10u32.pow(chunk.len() as u32), value);
        }
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self = self × m + add.
    fn mul_add(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_u64(&mut self, m: u64) {
        let high = Big::mul_clone(self, (m >> 32) as u32);
        self.mul_add(m as u32, 0);
        let mut high = high;
        high.shl(32);
        self.add(&high);
    }

    fn mul_clone(&self, m: u32) -> Big {
        let mut copy = self.clone();
        copy.mul_add(m, 0);
        copy
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(9);
            self.mul_add(10u32.pow(step), 0);
            n -= step;
        }
    }

    fn shl(&mut self, n: u32) {
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if bits != 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let v = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = v;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if !self.0.is_empty() {
            self.0.splice(0..0, core::iter::repeat_n(0, limbs));
        }
    }

    fn add(&mut self, other: &Big) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = u64::from(*limb) + u64::from(other.0.get(i).copied().unwrap_or(0)) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// self − other, for self ≥ other.
    fn sub(&self, other: &Big) -> Big {
        let mut out = self.clone();
        let mut borrow = 0i64;
        for (i, limb) in out.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            *limb = (v + (borrow << 32)) as u32;
        }
        out.trim();
        out
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> core::cmp::Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use proptest::prelude::*;

    fn check(text: &str) {
        let expected: f64 = text.parse().unwrap();
        assert_eq!(parse(text).to_bits(), expected.to_bits(), "{text}");
    }

    #[test]
    fn hard_cases_match_core() {
        for text in [
            "0",
            "-0",
            "0.0",
            "1",
            "1.5",
            "0.1",
            "0.30000000000000004",
            "1e23",
            "8.5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "4.9406564584124654e-324",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "9007199254740993",
            "9007199254740992.5",
            "123456789012345678901234567890",
            "1e-400",
            "1e400",
            "0.000000000000000000000000000001",
            "7.2057594037927933e16",
            "5e-324",
            "3e-324",
            "4.35663186e-53",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "89255e-22",
        ] {
            check(text);
        }
    }

    proptest! {
        /// Bit-identical to core's parser on any decimal the text format allows.
        #[test]
        fn matches_core(
            negative in any::<bool>(),
            int in "[0-9]{0,25}",
            frac in "[0-9]{0,25}",
            exponent in proptest::option::of(-340i32..340),
        ) {
            prop_assume!(!(int.is_empty() && frac.is_empty()));
            let mut text = String::new();
            if negative { text.push('-'); }
            text.push_str(&int);
            if !frac.is_empty() { text.push('.'); text.push_str(&frac); }
            if let Some(e) = exponent { text.push_str(&format!("e{e}")); }
            let expected: f64 = text.parse().unwrap();
            prop_assert_eq!(parse(&text).to_bits(), expected.to_bits(), "{}", text);
        }

        /// Every f64, printed shortest or with 17 digits, reads back as itself.
        #[test]
        fn round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            for text in [format!("{v:e}"), format!("{v:.16e}")] {
                prop_assert_eq!(parse(&text).to_bits(), v.to_bits(), "{}", text);
            }
        }
    }
}

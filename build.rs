//! Build script: generates `include/lwm2m_bootstrap.h` from `src/ffi/` with cbindgen (config in
//! `cbindgen.toml`), and writes it only when its content changed, so an unchanged header never
//! triggers a rebuild. With `CI` set the committed header is left alone (tests/header.rs then
//! fails if it is stale).
//!
//! `tests/header.rs` includes this file to generate the header the same way.

use std::path::{Path, PathBuf};

/// The header generated from the crate at `crate_dir`.
#[allow(dead_code)]
pub fn generate_header(crate_dir: &Path) -> Result<String, String> {
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("cbindgen.toml: {e}"))?;
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| format!("cbindgen wrote non-UTF-8: {e}"))
}

/// `LWBS_VERSION_*` from Cargo.toml's version.
fn version_macros() -> String {
    let lines = [
        format!("#define LWBS_VERSION_MAJOR {}", env!("CARGO_PKG_VERSION_MAJOR")),
        format!("#define LWBS_VERSION_MINOR {}", env!("CARGO_PKG_VERSION_MINOR")),
        format!("#define LWBS_VERSION_PATCH {}", env!("CARGO_PKG_VERSION_PATCH")),
        format!("#define LWBS_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION")),
    ];
    format!("\n{}", lines.join("\n"))
}

/// The committed header's path.
#[allow(dead_code)]
pub fn header_path(crate_dir: &Path) -> PathBuf {
    crate_dir.join("include").join("lwm2m_bootstrap.h")
}

#[allow(dead_code)]
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-env-changed=CI");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let header = match generate_header(&crate_dir) {
        Ok(header) => header,
        Err(e) => {
            println!("cargo:warning=generating include/lwm2m_bootstrap.h failed: {e}");
            std::process::exit(1);
        }
    };
    let path = header_path(&crate_dir);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == header {
        return;
    }
    if std::env::var_os("CI").is_some() {
        println!("cargo:warning=include/lwm2m_bootstrap.h is stale (not rewritten under CI)");
        return;
    }
    let written = std::fs::create_dir_all(path.parent().unwrap_or(&crate_dir))
        .and_then(|()| std::fs::write(&path, header));
    if let Err(e) = written {
        println!("cargo:warning=writing {} failed: {e}", path.display());
        std::process::exit(1);
    }
}

//! The committed C header: up to date with `src/ffi/`, versioned like Cargo.toml, and valid C99
//! and C++.

use std::path::{Path, PathBuf};
use std::process::Command;

use lwm2m_bootstrap::ffi::{
    lwbs_account, lwbs_config, lwbs_dm_request, lwbs_dm_response, lwbs_event, lwbs_path,
    lwbs_platform, lwbs_security, lwbs_smartcard_config,
};

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn committed_header() -> String {
    std::fs::read_to_string(build_script::header_path(&crate_dir()))
        .expect("include/lwm2m_bootstrap.h is missing: run cargo build and commit it")
}

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh = build_script::generate_header(&crate_dir()).expect("cbindgen generates the header");
    assert!(
        fresh == committed_header(),
        "include/lwm2m_bootstrap.h is stale: run cargo build and commit it"
    );
}

/// The value of `#define NAME value` in the header.
fn define(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    let line = header.lines().find(|l| l.starts_with(&prefix));
    line.unwrap_or_else(|| panic!("{name} is not defined")).trim_start_matches(&prefix).into()
}

#[test]
fn version_macros_follow_cargo_toml() {
    let header = committed_header();
    let version = env!("CARGO_PKG_VERSION");
    let parts: Vec<&str> = version.split('.').collect();
    assert_eq!(define(&header, "LWBS_VERSION_MAJOR"), parts[0]);
    assert_eq!(define(&header, "LWBS_VERSION_MINOR"), parts[1]);
    assert_eq!(define(&header, "LWBS_VERSION_PATCH"), parts[2]);
    assert_eq!(define(&header, "LWBS_VERSION_STRING"), format!("\"{version}\""));
    let runtime = unsafe { std::ffi::CStr::from_ptr(lwm2m_bootstrap::ffi::lwbs_version()) };
    assert_eq!(runtime.to_str().unwrap(), version);
}

#[test]
fn header_names_every_contract_symbol() {
    let header = committed_header();
    for name in [
        "typedef struct lwbs_client lwbs_client;",
        "typedef uint32_t lwbs_conn;",
        "LWBS_ERR_PANIC = 13",
        "LWBS_ERR_UNSUPPORTED = 14",
        "LWBS_STATE_STOPPING = 6",
        "LWBS_SECURITY_NOSEC = 3",
        "LWBS_EVENT_STOPPED = 10",
        "LWBS_BOOTSTRAP_FAILURE_CANCELLED = 8",
        "int32_t (*dm_request)(void *userdata,",
        "int32_t (*card_transmit)(void *userdata,",
        "LWBS_EVENT_SMARTCARD_REMOVED = 23",
        "uint32_t secure_modes;",
        "const struct lwbs_security *security);",
        "LWBS_SECURITY_FAILURE_REFUSED = 4",
        "#define LWBS_OPEN_REFUSED 1",
        "LWBS_BOOTSTRAP_FAILURE_SECURITY_REFUSED = 13",
        "LWBS_REGISTRATION_FAILURE_SECURITY_REFUSED = 8",
        "LWBS_REASON_SMARTCARD = 20",
        "lwbs_result lwbs_client_set_smartcard(struct lwbs_client *client,",
        "const char *lwbs_result_str(uint32_t result);",
        "#ifndef LWM2M_BOOTSTRAP_H",
        "extern \"C\" {",
    ] {
        assert!(header.contains(name), "the header lacks {name:?}");
    }
}

/// A C translation unit including the header, with compile-time checks that the C structs
/// have the sizes Rust gives them (negative array size = error).
fn probe_source() -> String {
    let sizes = [
        ("lwbs_config", std::mem::size_of::<lwbs_config>()),
        ("lwbs_account", std::mem::size_of::<lwbs_account>()),
        ("lwbs_platform", std::mem::size_of::<lwbs_platform>()),
        ("lwbs_event", std::mem::size_of::<lwbs_event>()),
        ("lwbs_path", std::mem::size_of::<lwbs_path>()),
        ("lwbs_dm_request", std::mem::size_of::<lwbs_dm_request>()),
        ("lwbs_dm_response", std::mem::size_of::<lwbs_dm_response>()),
        ("lwbs_smartcard_config", std::mem::size_of::<lwbs_smartcard_config>()),
        ("lwbs_security", std::mem::size_of::<lwbs_security>()),
        ("lwbs_result", 4),
        ("lwbs_conn", 4),
    ];
    let mut src = String::from("#include \"lwm2m_bootstrap.h\"\n");
    for (name, size) in sizes {
        src += &format!("typedef char size_of_{name}[(sizeof({name}) == {size}) ? 1 : -1];\n");
    }
    src += "int probe(void);\nint probe(void) {\n  lwbs_config c;\n  lwbs_config_init(&c);\n";
    src += "  return (int)lwbs_client_new(&c, NULL, NULL) + LWBS_VERSION_MAJOR;\n}\n";
    src
}

/// Compiles the probe with `compiler args`; `false` when the compiler is absent.
fn compile(compiler: &str, args: &[&str], file: &Path) -> bool {
    let include = crate_dir().join("include");
    let output = Command::new(compiler).args(args).arg("-I").arg(&include).arg(file).output();
    let Ok(output) = output else {
        println!("{compiler} not found: skipping its compile check of the header");
        return false;
    };
    assert!(
        output.status.success(),
        "{compiler} {args:?} rejects the header:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[test]
fn header_compiles_as_strict_c99_and_as_cpp() {
    let dir = std::env::temp_dir().join(format!("lwbs-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("probe.c");
    std::fs::write(&file, probe_source()).unwrap();
    let c99 = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    let cpp = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic", "-x", "c++"];
    let compiled_c = compile("gcc", &c99, &file);
    let compiled_cpp = compile("g++", &cpp, &file);
    std::fs::remove_dir_all(&dir).ok();
    println!("compiled as C99: {compiled_c}, as C++: {compiled_cpp}");
}

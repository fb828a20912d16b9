//! Build script. The C header generation (cbindgen) is added with the C ABI.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}

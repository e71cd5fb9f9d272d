//! The hand-written bindings against the header, as a C compiler lays it out: plugin-sdk/abi/layout.c
//! is compiled with `cc` and run, and each line it prints (a struct's size, a field's offset and
//! size, a handle's size) must be exactly what the Rust side computes, both ways. A second check
//! reads the header's own text, so a struct or a field added to the header fails here even before
//! anybody adds it to layout.c.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compiles and runs layout.c; its lines.
fn c_layout() -> Vec<String> {
    let sdk = sdk_dir();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layout-c");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let built = Command::new(&compiler)
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(sdk.join("include"))
        .arg(sdk.join("abi/layout.c"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|error| panic!("cannot run the C compiler `{}`: {}", compiler, error));
    assert!(built.status.success(), "layout.c does not compile:\n{}", String::from_utf8_lossy(&built.stderr));
    let ran = Command::new(&out).output().expect("cannot run the layout program");
    assert!(ran.status.success(), "the layout program failed");
    String::from_utf8(ran.stdout).expect("layout output is UTF-8").lines().map(str::to_string).collect()
}

#[test]
fn every_struct_field_and_handle_matches_the_c_compiler() {
    let c: BTreeSet<String> = c_layout().into_iter().collect();
    let rust: BTreeSet<String> = switchyard_plugin_sys::layout_lines().into_iter().collect();
    let only_c: Vec<&String> = c.difference(&rust).collect();
    let only_rust: Vec<&String> = rust.difference(&c).collect();
    assert!(
        only_c.is_empty() && only_rust.is_empty(),
        "the Rust bindings do not match the header.\n  in C (layout.c), not in Rust:\n    {}\n  in Rust, not in C:\n    {}\n\
         (add or fix the field in switchyard-plugin-sys/src/lib.rs; a line in only one list with the \
         same name in the other is a moved or resized field)",
        join(&only_c),
        join(&only_rust)
    );
    assert!(c.len() > 100, "layout.c printed only {} lines", c.len());
}

#[test]
fn every_struct_and_field_of_the_header_text_is_bound() {
    let header = std::fs::read_to_string(sdk_dir().join("include/switchyard_plugin.h")).expect("read the header");
    let rust_lines: BTreeSet<String> = switchyard_plugin_sys::layout_lines().into_iter().collect();
    let mut missing = Vec::new();
    let structs = header_structs(&header);
    assert!(structs.len() >= 15, "found only {} structs in the header: the scanner is broken", structs.len());
    for (name, fields) in &structs {
        if !switchyard_plugin_sys::struct_names().contains(&name.as_str()) {
            missing.push(format!("struct {}", name));
            continue;
        }
        for field in fields {
            let prefix = format!("{}.{} ", name, field);
            if !rust_lines.iter().any(|line| line.starts_with(&prefix)) {
                missing.push(format!("field {}.{}", name, field));
            }
        }
    }
    assert!(missing.is_empty(), "the header has what the Rust bindings lack: {}", missing.join(", "));
}

#[test]
fn the_abi_version_is_the_headers() {
    let header = std::fs::read_to_string(sdk_dir().join("include/switchyard_plugin.h")).expect("read the header");
    let define = |name: &str| -> u32 {
        let line = header.lines().find(|line| line.starts_with(&format!("#define {} ", name))).expect("a #define");
        let value: String = line[name.len() + 9..].trim_start().chars().take_while(char::is_ascii_digit).collect();
        value.parse().expect("a number")
    };
    assert_eq!(switchyard_plugin_sys::SY_ABI_MAJOR, define("SY_ABI_MAJOR"));
    assert_eq!(switchyard_plugin_sys::SY_ABI_MINOR, define("SY_ABI_MINOR"), "set SY_ABI_MINOR to the header's");
}

#[test]
fn sy_has_reads_only_what_struct_size_covers() {
    use switchyard_plugin_sys::*;
    unsafe extern "C" fn route(_call: sy_call, _model: sy_bytes) -> sy_bytes {
        sy_bytes { ptr: std::ptr::null(), len: 0 }
    }
    let mut api: sy_host_api = unsafe { std::mem::zeroed() };
    api.call_route = Some(route);
    let end = std::ptr::addr_of!(api.call_route) as usize - std::ptr::addr_of!(api) as usize + 8;
    api.struct_size = end as u32;
    assert!(sy_has!(&api, sy_host_api, call_route));
    api.struct_size -= 1; // a host whose table ends before the field's end
    assert!(!sy_has!(&api, sy_host_api, call_route));
    api.struct_size = std::mem::size_of::<sy_host_api>() as u32;
    assert!(sy_has!(&api, sy_host_api, call_route));
    api.call_route = None;
    assert!(!sy_has!(&api, sy_host_api, call_route));
}

#[test]
fn the_header_scanner_finds_fields_of_every_shape() {
    let text = "typedef struct a { uint32_t n; char m[4]; const x *p; int (*f)(int a, int b); sy_bytes s; } a;\n\
                typedef struct a_s *a_handle;";
    let structs = header_structs(text);
    assert_eq!(structs, vec![("a".to_string(), vec!["n", "m", "p", "f", "s"].into_iter().map(String::from).collect::<Vec<_>>())]);
}

/// `typedef struct NAME { ... } NAME;` blocks of a C header: each struct's name and its field
/// names (a function pointer's name is the one after `(*`; an array's the one before `[`).
fn header_structs(header: &str) -> Vec<(String, Vec<String>)> {
    let text = strip_comments(header);
    let mut structs = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("typedef struct ") {
        rest = &rest[start + "typedef struct ".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after_name = rest[name.len()..].trim_start();
        if !after_name.starts_with('{') {
            continue; // an opaque handle: `typedef struct sy_call_s *sy_call;`
        }
        let open = rest.find('{').unwrap();
        let close = match_brace(rest, open);
        let body = &rest[open + 1..close];
        let fields = body.split(';').map(str::trim).filter(|d| !d.is_empty()).map(field_name).collect();
        structs.push((name, fields));
        rest = &rest[close..];
    }
    structs
}

fn field_name(declaration: &str) -> String {
    let declaration = if let Some(at) = declaration.find("(*") {
        let name_start = &declaration[at + 2..];
        return name_start.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    } else if let Some(at) = declaration.find('[') {
        &declaration[..at]
    } else {
        declaration
    };
    let reversed: String = declaration.trim_end().chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    reversed.chars().rev().collect()
}

fn match_brace(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (index, byte) in text.bytes().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces in the header")
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        let next = match (block, line) {
            (Some(b), Some(l)) => b.min(l),
            (Some(b), None) => b,
            (None, Some(l)) => l,
            (None, None) => break,
        };
        out.push_str(&rest[..next]);
        let terminator = if rest[next..].starts_with("/*") { "*/" } else { "\n" };
        match rest[next + 2..].find(terminator) {
            Some(end) => rest = &rest[next + 2 + end + terminator.len()..],
            None => return out,
        }
        out.push(' ');
    }
    out.push_str(rest);
    out
}

fn join(lines: &[&String]) -> String {
    if lines.is_empty() {
        "(none)".to_string()
    } else {
        lines.iter().map(|line| line.as_str()).collect::<Vec<_>>().join("\n    ")
    }
}

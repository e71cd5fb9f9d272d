//! The layout of these bindings in the text format of plugin-sdk/abi/layout.c, so a test can
//! compare them line by line with what a C compiler makes of the header.

/// `sy_error sizeof=528`, `sy_error.code offset=4 size=4`, `sy_sink size=8`, ... : one line per
/// struct, field and handle type, as layout.c prints them.
pub fn layout_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for (name, size, fields) in crate::struct_layouts() {
        lines.push(format!("{} sizeof={}", name, size));
        for (field, offset, field_size) in fields {
            lines.push(format!("{}.{} offset={} size={}", name, field, offset, field_size));
        }
    }
    for (name, size) in crate::handle_sizes() {
        lines.push(format!("{} size={}", name, size));
    }
    lines
}

/// The names of every struct these bindings define.
pub fn struct_names() -> Vec<&'static str> {
    crate::struct_layouts().into_iter().map(|(name, _, _)| name).collect()
}

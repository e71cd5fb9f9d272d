import CPCRE2

/// The mutable part of running patterns: PCRE2 match data with one offset pair (only the whole
/// match is used; a custom pattern's capture groups are not kept).
///
/// Ownership and threading: made by one inspect call, used on its thread only, freed when that
/// call returns. Patterns are shared by every call; scratch never is, so concurrent inspects need
/// no lock. No match context: PCRE2's defaults apply, among them the match limit (10 million
/// backtracking steps) that ends a runaway custom pattern with an error instead of a hang.
final class MatchScratch {
    let data: OpaquePointer

    init() throws(OutOfMemory) {
        guard let data = pcre2_match_data_create_8(1, nil) else { throw OutOfMemory() }
        self.data = data
    }

    deinit { pcre2_match_data_free_8(data) }

    struct OutOfMemory: Error {}
}

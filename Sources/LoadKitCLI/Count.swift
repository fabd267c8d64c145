/// Counts in words: `1 row`, `2 rows`, `0 rows`.
enum Count {
    /// `count` and `noun`, the noun plural unless `count` is 1 (`of(1, "row")` is `1 row`,
    /// `of(27004, "row")` is `27004 rows`). Nouns whose plural is not noun + s pass `plural`.
    static func of(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }
}

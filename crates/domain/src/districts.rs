//! Guangzhou's districts in their official order (越秀 海珠 荔湾 天河 白云 黄埔 番禺 花都
//! 南沙 从化 增城), the order every list of districts follows, as the city's own documents do.

/// The districts' short names, in the official order.
pub const GUANGZHOU_DISTRICTS: [&str; 11] = [
    "越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城",
];

/// The sort key of a district by its name (越秀区, 海珠区 …): the official order first, then
/// any other district (a new one, or of another city) by name.
pub fn district_order(name: &str) -> (usize, String) {
    let short = name.trim().trim_start_matches("广州市");
    let rank = GUANGZHOU_DISTRICTS
        .iter()
        .position(|d| short.starts_with(d))
        .unwrap_or(GUANGZHOU_DISTRICTS.len());
    (rank, name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_sort_in_the_official_order_then_by_name() {
        let mut names = vec![
            "增城区",
            "天河区",
            "越秀区",
            "从化区",
            "广州市海珠区",
            "荔湾区",
            "新区",
            "白云区",
            "南沙区",
            "黄埔区",
            "花都区",
            "番禺区",
            "东区",
        ];
        names.sort_by_key(|n| district_order(n));
        assert_eq!(
            names,
            [
                "越秀区",
                "广州市海珠区",
                "荔湾区",
                "天河区",
                "白云区",
                "黄埔区",
                "番禺区",
                "花都区",
                "南沙区",
                "从化区",
                "增城区",
                "东区",
                "新区"
            ]
        );
    }
}

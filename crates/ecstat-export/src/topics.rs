//! Which topic (专题) an indicator belongs to: the xlsx workbook has one sheet per topic, so
//! the 商务局 desk that owns 物流 or 资金 finds its figures on one sheet.

/// Sheet name and the indicator-code prefixes it takes, in sheet order. A code belongs to
/// the first topic one of whose prefixes it starts with; a prefix may be a whole code.
pub const TOPICS: &[(&str, &[&str])] = &[
    ("网络零售", &["rural_online_retail", "agri_online_retail"]),
    (
        "经营主体",
        &[
            "new_ecommerce_entities",
            "enterprise_database_size",
            "agri_entity_database_size",
            "typical_enterprise_database_size",
        ],
    ),
    ("培训", &["training_", "poor_trainees"]),
    (
        "服务网络",
        &[
            "township_stations",
            "village_service_points",
            "admin_village_coverage",
            "county_service_centre",
            "branch_service_centres",
            "warehouse_centres",
        ],
    ),
    (
        "物流",
        &[
            "parcels_sent",
            "cost_per_parcel",
            "townships_with_delivery",
            "village_delivery_coverage",
        ],
    ),
    ("资金", &["fund_", "products_online_fund_share"]),
];

/// The sheet of the indicators no topic lists; written only when there are such rows.
pub const OTHER_TOPIC: &str = "其他";

/// The topic sheet of `indicator_code`.
pub fn topic_of(indicator_code: &str) -> &'static str {
    TOPICS
        .iter()
        .find(|(_, prefixes)| prefixes.iter().any(|p| indicator_code.starts_with(p)))
        .map_or(OTHER_TOPIC, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_find_their_topic() {
        assert_eq!(topic_of("rural_online_retail"), "网络零售");
        assert_eq!(topic_of("typical_enterprise_database_size"), "经营主体");
        assert_eq!(topic_of("training_person_times"), "培训");
        assert_eq!(topic_of("poor_trainees"), "培训");
        assert_eq!(topic_of("township_stations"), "服务网络");
        assert_eq!(topic_of("townships_with_delivery"), "物流");
        assert_eq!(topic_of("fund_disbursement_rate"), "资金");
        assert_eq!(topic_of("products_online_fund_share"), "资金");
        assert_eq!(topic_of("tea_export_volume"), OTHER_TOPIC);
    }

    #[test]
    fn sheet_names_are_unique_and_fit_excel() {
        let mut names: Vec<&str> = TOPICS.iter().map(|(n, _)| *n).collect();
        names.push(OTHER_TOPIC);
        names.extend(["目标达成", "年度", "月度及累计", "说明"]);
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(names.iter().all(|n| n.chars().count() <= 31));
    }
}

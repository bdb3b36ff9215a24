//! Owns Anxi County geography: the 15 townships used by the sample data, with
//! their NBS division codes, and the ship-from address strings built on them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Township {
    pub name: &'static str,
    /// 12-digit NBS statistical division code (统计用区划代码).
    pub code: &'static str,
}

const fn t(name: &'static str, code: &'static str) -> Township {
    Township { name, code }
}

pub const FENGCHENG: Township = t("凤城镇", "350524100000");
pub const PENGLAI: Township = t("蓬莱镇", "350524101000");
pub const HUTOU: Township = t("湖头镇", "350524102000");
pub const GUANQIAO: Township = t("官桥镇", "350524103000");
pub const JIANDOU: Township = t("剑斗镇", "350524104000");
pub const CHENGXIANG: Township = t("城厢镇", "350524105000");
pub const JINGU: Township = t("金谷镇", "350524106000");
pub const LONGMEN: Township = t("龙门镇", "350524107000");
pub const HUQIU: Township = t("虎邱镇", "350524108000");
pub const LUTIAN: Township = t("芦田镇", "350524109000");
pub const GANDE: Township = t("感德镇", "350524110000");
pub const KUIDOU: Township = t("魁斗镇", "350524111000");
pub const XIPING: Township = t("西坪镇", "350524112000");
pub const CANNEI: Township = t("参内镇", "350524113000");
pub const BAILAI: Township = t("白濑乡", "350524201000");

pub const ALL: [Township; 15] = [
    FENGCHENG, PENGLAI, HUTOU, GUANQIAO, JIANDOU, CHENGXIANG, JINGU, LONGMEN, HUQIU, LUTIAN, GANDE,
    KUIDOU, XIPING, CANNEI, BAILAI,
];

/// County prefix shared by every in-county ship-from address.
pub const COUNTY_PREFIX: &str = "福建省泉州市安溪县";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_county() {
        let mut codes: Vec<&str> = ALL.iter().map(|t| t.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 15);
        assert!(
            ALL.iter()
                .all(|t| t.code.starts_with("350524") && t.code.len() == 12)
        );
    }
}

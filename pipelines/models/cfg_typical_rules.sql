-- cfg_typical_rules: the rules that select the typical enterprises (典型企业库), one row per
-- rule. This is configuration: change a threshold or add a row, and the next run selects
-- by it. Kinds (what typical_enterprise knows how to apply):
--   top_n            the n enterprises with the highest 网络零售额 of the year;
--   growth_at_least  网络零售额 grew by at least `threshold` % over the previous year, from
--                    a previous year of at least `min_base_yuan`;
--   agri_share       agricultural products are at least `threshold` % of the year's
--                    网络零售额, of at least `min_base_yuan`;
--   poverty_links    an agricultural entity linked to the enterprise brings along at least
--                    `n` registered poor households, and the enterprise sold online that year.
select * from (
    values
        ('top_sales', '年度网络零售额前20名', 'top_n', 20, cast(null as decimal(10, 2)), cast(null as decimal(18, 2))),
        ('high_growth', '网络零售额同比增长30%以上（上年不少于5万元）', 'growth_at_least', cast(null as bigint), cast(30 as decimal(10, 2)), cast(50000 as decimal(18, 2))),
        ('agri_products', '农产品网络零售额占比80%以上（全年不少于5万元）', 'agri_share', cast(null as bigint), cast(80 as decimal(10, 2)), cast(50000 as decimal(18, 2))),
        ('poverty_links', '带动建档立卡贫困户10户以上并开展网络销售', 'poverty_links', 10, cast(null as decimal(10, 2)), cast(null as decimal(18, 2)))
) as rules (rule_code, rule_name_zh, kind, n, threshold, min_base_yuan)

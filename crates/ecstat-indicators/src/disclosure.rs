//! Statistical disclosure control of published cells (统计法: no published figure may
//! reveal one enterprise's data).
//!
//! Primary suppression: a cell with fewer than `min_contributors` contributing entities,
//! or failing the p% rule (what remains after the two largest contributors is less than
//! p% of the largest), is suppressed. Secondary suppression: the published cells are tied
//! by additive relations — the members of a breakdown add up to the county; the months of
//! a year add up to its year-to-date values and its year; the years add up to the
//! programme total. A relation with exactly one suppressed cell would give it away by
//! subtraction, and one whose suppressed members add up to a sensitive sum would give
//! that sum away, so further cells (the smallest) are suppressed until neither holds in
//! any relation. Suppressed cells are marked, never zeroed.

use std::collections::{BTreeMap, HashMap};

use crate::catalogue::DisclosurePolicy;

/// One published cell of an additive indicator, identified as in `ind_results`
/// (`period_type` is `programme` for the programme total).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub indicator: String,
    pub period_type: String,
    pub period: String,
    pub dimension: String,
    pub member: String,
}

/// What a cell is made of: its total and its contributors.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub key: CellKey,
    pub total: f64,
    /// Entities with a non-zero contribution.
    pub contributors: u64,
    /// The largest and second-largest contributions (0 when there are none).
    pub largest: f64,
    pub second: f64,
}

/// Why a cell is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Fewer contributors than the policy's minimum.
    FewContributors,
    /// Dominated by its largest contributors (p% rule).
    Dominance,
    /// Suppressed so that another suppressed cell cannot be worked out.
    Secondary,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::FewContributors => "n<3",
            Reason::Dominance => "p%",
            Reason::Secondary => "secondary",
        }
    }
}

/// Is a cell (or a sum of cells) sensitive on its own?
pub fn primary(cell: &Cell, policy: &DisclosurePolicy) -> Option<Reason> {
    if cell.contributors == 0 {
        return None;
    }
    if cell.contributors < u64::from(policy.min_contributors) {
        return Some(Reason::FewContributors);
    }
    let remainder = cell.total - cell.largest - cell.second;
    if cell.largest > 0.0 && remainder < policy.p_percent / 100.0 * cell.largest {
        return Some(Reason::Dominance);
    }
    None
}

/// `total = Σ parts`, among cells that exist (a cell with no row is a published zero).
#[derive(Debug, Clone)]
struct Relation {
    total: usize,
    parts: Vec<usize>,
}

/// The suppressed cells of `cells` and why.
pub fn suppress(cells: &[Cell], policy: &DisclosurePolicy) -> HashMap<CellKey, Reason> {
    let index: HashMap<&CellKey, usize> =
        cells.iter().enumerate().map(|(i, c)| (&c.key, i)).collect();
    let mut state: Vec<Option<Reason>> = cells.iter().map(|c| primary(c, policy)).collect();
    let relations = relations(cells, &index);
    loop {
        let mut changed = false;
        for rel in &relations {
            if let Some(extra) = exposed(rel, cells, &state, policy) {
                state[extra] = Some(Reason::Secondary);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    cells
        .iter()
        .zip(state)
        .filter_map(|(c, s)| s.map(|r| (c.key.clone(), r)))
        .collect()
}

/// The cell to suppress next in `rel`, when its published cells would reveal a suppressed
/// cell or a sensitive sum of them.
fn exposed(
    rel: &Relation,
    cells: &[Cell],
    state: &[Option<Reason>],
    policy: &DisclosurePolicy,
) -> Option<usize> {
    let all = || std::iter::once(rel.total).chain(rel.parts.iter().copied());
    let hidden: Vec<usize> = all().filter(|&i| state[i].is_some()).collect();
    if hidden.is_empty() {
        return None;
    }
    let total_published = state[rel.total].is_none();
    let hidden_parts: Vec<usize> = rel
        .parts
        .iter()
        .copied()
        .filter(|&i| state[i].is_some())
        .collect();
    let needs_more = hidden.len() == 1
        || (total_published && primary(&union(&hidden_parts, cells), policy).is_some());
    if !needs_more {
        return None;
    }
    // The smallest published part that has contributors, else any published part, else
    // the total.
    let published_parts = || rel.parts.iter().copied().filter(|&i| state[i].is_none());
    published_parts()
        .filter(|&i| cells[i].contributors > 0)
        .min_by(|&a, &b| {
            cells[a]
                .total
                .abs()
                .total_cmp(&cells[b].total.abs())
                .then(a.cmp(&b))
        })
        .or_else(|| published_parts().next())
        .or_else(|| total_published.then_some(rel.total))
}

/// The sum of some cells, as a cell: contributors added (an upper bound when an entity
/// contributes to several), the two largest contributions among theirs.
fn union(members: &[usize], cells: &[Cell]) -> Cell {
    let mut tops: Vec<f64> = members
        .iter()
        .flat_map(|&i| [cells[i].largest, cells[i].second])
        .collect();
    tops.sort_by(|a, b| b.total_cmp(a));
    Cell {
        key: cells[members[0]].key.clone(),
        total: members.iter().map(|&i| cells[i].total).sum(),
        contributors: members.iter().map(|&i| cells[i].contributors).sum(),
        largest: tops.first().copied().unwrap_or(0.0),
        second: tops.get(1).copied().unwrap_or(0.0),
    }
}

/// The additive relations among `cells`: members of each breakdown = county; month and
/// the previous year-to-date = year-to-date; the last year-to-date of a year = the year;
/// programme total of the previous year + the year = programme total.
fn relations(cells: &[Cell], index: &HashMap<&CellKey, usize>) -> Vec<Relation> {
    let mut out = Vec::new();
    // Cross-sectional: (indicator, period_type, period, dimension) → members.
    let mut groups: BTreeMap<(&str, &str, &str, &str), Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        if c.key.dimension != "county" {
            groups
                .entry((
                    &c.key.indicator,
                    &c.key.period_type,
                    &c.key.period,
                    &c.key.dimension,
                ))
                .or_default()
                .push(i);
        }
    }
    let county_of = |k: &CellKey| {
        cells.iter().position(|c| {
            c.key.dimension == "county"
                && c.key.indicator == k.indicator
                && c.key.period_type == k.period_type
                && c.key.period == k.period
        })
    };
    let mut county_index: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, c) in cells.iter().enumerate() {
        if c.key.dimension == "county" {
            county_index.insert((&c.key.indicator, &c.key.period_type, &c.key.period), i);
        }
    }
    for ((ind, pt, p, _), parts) in groups {
        let total = county_index
            .get(&(ind, pt, p))
            .copied()
            .or_else(|| county_of(&cells[parts[0]].key));
        if let Some(total) = total {
            out.push(Relation { total, parts });
        }
    }
    // Over time, per series (indicator, dimension, member).
    let find = |k: &CellKey, period_type: &str, period: String| {
        index
            .get(&CellKey {
                indicator: k.indicator.clone(),
                period_type: period_type.into(),
                period,
                dimension: k.dimension.clone(),
                member: k.member.clone(),
            })
            .copied()
    };
    let mut last_ytd: BTreeMap<(&str, &str, &str, &str), (&str, usize)> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        let k = &c.key;
        match k.period_type.as_str() {
            "ytd" => {
                let (Some(year), Some(mon)) = (k.period.get(..4), k.period.get(5..7)) else {
                    continue;
                };
                let mon: u32 = mon.parse().unwrap_or(0);
                let mut parts: Vec<usize> =
                    find(k, "month", k.period.clone()).into_iter().collect();
                if mon > 1 {
                    parts.extend(find(k, "ytd", format!("{year}-{:02}", mon - 1)));
                }
                if !parts.is_empty() {
                    out.push(Relation { total: i, parts });
                }
                let entry = last_ytd
                    .entry((&k.indicator, &k.dimension, &k.member, year))
                    .or_insert((&k.period, i));
                if k.period.as_str() > entry.0 {
                    *entry = (&k.period, i);
                }
            }
            "programme" => {
                let Ok(year) = k.period.parse::<i32>() else {
                    continue;
                };
                let mut parts: Vec<usize> = find(k, "year", k.period.clone()).into_iter().collect();
                parts.extend(find(k, "programme", (year - 1).to_string()));
                if !parts.is_empty() {
                    out.push(Relation { total: i, parts });
                }
            }
            _ => {}
        }
    }
    // A year equals its last year-to-date value: both or neither are published.
    for ((_, _, _, year), (_, ytd)) in last_ytd {
        if let Some(y) = find(&cells[ytd].key, "year", year.to_string()) {
            out.push(Relation {
                total: y,
                parts: vec![ytd],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(dimension: &str, member: &str, contributions: &[f64]) -> Cell {
        cell_at("year", "2019", dimension, member, contributions)
    }

    fn cell_at(
        period_type: &str,
        period: &str,
        dimension: &str,
        member: &str,
        contributions: &[f64],
    ) -> Cell {
        let mut sorted = contributions.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        Cell {
            key: CellKey {
                indicator: "sales".into(),
                period_type: period_type.into(),
                period: period.into(),
                dimension: dimension.into(),
                member: member.into(),
            },
            total: contributions.iter().sum(),
            contributors: contributions.iter().filter(|v| **v != 0.0).count() as u64,
            largest: sorted.first().copied().unwrap_or(0.0),
            second: sorted.get(1).copied().unwrap_or(0.0),
        }
    }

    fn reasons(cells: &[Cell]) -> BTreeMap<String, &'static str> {
        suppress(cells, &DisclosurePolicy::default())
            .into_iter()
            .map(|(k, r)| {
                (
                    format!(
                        "{}:{}:{}:{}",
                        k.period_type, k.period, k.dimension, k.member
                    ),
                    r.code(),
                )
            })
            .collect()
    }

    #[test]
    fn primary_rules() {
        let policy = DisclosurePolicy::default();
        assert_eq!(
            primary(&cell("t", "a", &[10.0, 20.0]), &policy),
            Some(Reason::FewContributors)
        );
        assert_eq!(primary(&cell("t", "a", &[10.0, 20.0, 30.0]), &policy), None);
        // 100 + 5 + 4: what the two largest leave (4) is under 10% of the largest (100).
        assert_eq!(
            primary(&cell("t", "a", &[100.0, 5.0, 4.0]), &policy),
            Some(Reason::Dominance)
        );
        // 100 + 10 + 5 + 5: the rest (10) is exactly 10%: published.
        assert_eq!(
            primary(&cell("t", "a", &[100.0, 10.0, 5.0, 5.0]), &policy),
            None
        );
        // No contributors: an empty cell reveals nothing.
        assert_eq!(primary(&cell("t", "a", &[]), &policy), None);
        let strict = DisclosurePolicy {
            min_contributors: 3,
            p_percent: 20.0,
        };
        assert_eq!(
            primary(&cell("t", "a", &[100.0, 10.0, 5.0, 5.0]), &strict),
            Some(Reason::Dominance)
        );
    }

    #[test]
    fn a_lone_suppressed_member_takes_the_smallest_other_with_it() {
        // County = A + B + C + D. B has two shops: suppressed; without more, county − A − C −
        // D would give B away. C is the smallest other member: suppressed too.
        let cells = vec![
            cell(
                "county",
                "X",
                &[50.0, 40.0, 30.0, 7.0, 8.0, 20.0, 21.0, 22.0, 9.0, 9.0, 9.0],
            ),
            cell("township", "A", &[50.0, 40.0, 30.0]),
            cell("township", "B", &[7.0, 8.0]),
            cell("township", "C", &[9.0, 9.0, 9.0]),
            cell("township", "D", &[20.0, 21.0, 22.0]),
        ];
        let r = reasons(&cells);
        assert_eq!(r.get("year:2019:township:B"), Some(&"n<3"));
        assert_eq!(r.get("year:2019:township:C"), Some(&"secondary"));
        assert_eq!(r.len(), 2, "{r:?}");
        // The county total is still published; B alone cannot be worked out from it.
    }

    #[test]
    fn two_suppressed_members_whose_sum_is_sensitive_take_a_third() {
        // A and B have one shop each: suppressed, and their sum (2 shops) would still be
        // sensitive once county − C − D gave it away: C (the smaller) goes too.
        let cells = vec![
            cell(
                "county",
                "X",
                &[5.0, 6.0, 10.0, 11.0, 12.0, 30.0, 31.0, 32.0],
            ),
            cell("township", "A", &[5.0]),
            cell("township", "B", &[6.0]),
            cell("township", "C", &[10.0, 11.0, 12.0]),
            cell("township", "D", &[30.0, 31.0, 32.0]),
        ];
        let r = reasons(&cells);
        assert_eq!(r.get("year:2019:township:A"), Some(&"n<3"));
        assert_eq!(r.get("year:2019:township:B"), Some(&"n<3"));
        assert_eq!(r.get("year:2019:township:C"), Some(&"secondary"));
        assert_eq!(r.get("year:2019:township:D"), None);
    }

    #[test]
    fn a_suppressed_total_is_not_left_alone_either() {
        // The county is dominated by one enterprise: suppressed. Its members would add up
        // to it, so one of them (the smallest) is suppressed as well.
        let cells = vec![
            cell("county", "X", &[1000.0, 5.0, 6.0, 7.0, 8.0, 9.0]),
            cell("township", "A", &[1000.0, 5.0, 6.0]),
            cell("township", "B", &[7.0, 8.0, 9.0]),
        ];
        let r = reasons(&cells);
        assert_eq!(r.get("year:2019:county:X"), Some(&"p%"));
        assert_eq!(r.get("year:2019:township:A"), Some(&"p%"));
        assert_eq!(r.len(), 2, "{r:?}");
        // County and A both hidden: B = county − A cannot be used against either.
    }

    #[test]
    fn months_and_year_to_date_do_not_give_a_month_away() {
        // ytd(03) = ytd(02) + month(03). March has two contributors: suppressed; publishing
        // both year-to-date values would reveal it by difference.
        let cells = vec![
            cell_at("month", "2019-02", "county", "X", &[10.0, 11.0, 12.0]),
            cell_at("month", "2019-03", "county", "X", &[10.0, 11.0]),
            cell_at("ytd", "2019-02", "county", "X", &[10.0, 11.0, 12.0]),
            cell_at("ytd", "2019-03", "county", "X", &[20.0, 22.0, 12.0]),
        ];
        let r = reasons(&cells);
        assert_eq!(r.get("month:2019-03:county:X"), Some(&"n<3"));
        assert!(
            r.contains_key("ytd:2019-02:county:X") || r.contains_key("ytd:2019-03:county:X"),
            "one of the year-to-date values must go too: {r:?}"
        );
    }

    #[test]
    fn nothing_sensitive_nothing_suppressed() {
        let cells = vec![
            cell("county", "X", &[10.0, 11.0, 12.0, 13.0, 14.0, 15.0]),
            cell("township", "A", &[10.0, 11.0, 12.0]),
            cell("township", "B", &[13.0, 14.0, 15.0]),
        ];
        assert!(reasons(&cells).is_empty());
    }
}

//! Anxi County's township (乡镇) and village (村/社区) names resolved to their 12-digit
//! 统计用区划代码, from the reference table `sample_data/reference/anxi_divisions.csv`.
//!
//! Department sheets write `湖头`, `湖头镇`, `郭埔村`, `郭埔村委会` or the code itself. A
//! name is matched exactly first, then with its level suffix (镇/乡/街道, 村委会/社区居委会/…)
//! stripped on both sides. What does not match comes back with the closest names, so a
//! quarantine message can tell the submitter what was probably meant.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};
use crate::text::fold_width;

/// Township suffixes, tried in this order.
const TOWNSHIP_SUFFIXES: &[&str] = &["街道", "镇", "乡"];

/// Village suffixes, longest first so that `社区居委会` wins over `居委会`. `社区居民会`
/// and `居民会` appear in the NBS names (德苑社区居民会).
const VILLAGE_SUFFIXES: &[&str] = &[
    "社区居民委员会",
    "村民委员会",
    "社区居委会",
    "社区居民会",
    "居民委员会",
    "村委会",
    "居委会",
    "居民会",
    "社区",
    "村",
];

/// How many closest names a [`Resolution::NotFound`] carries at most.
const MAX_CANDIDATES: usize = 3;

/// Level of a division in the reference table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    County,
    Township,
    Village,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s {
            "county" => Some(Level::County),
            "township" => Some(Level::Township),
            "village" => Some(Level::Village),
            _ => None,
        }
    }

    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Level::County => &["县"],
            Level::Township => TOWNSHIP_SUFFIXES,
            Level::Village => VILLAGE_SUFFIXES,
        }
    }
}

/// One row of the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// 12-digit 统计用区划代码.
    pub code: String,
    /// The NBS name as written, suffix included (`郭埔村委会`).
    pub name: String,
    pub level: Level,
    /// Code of the direct parent (a village's township).
    pub parent_code: String,
    /// 3-digit 城乡分类代码; NBS gives it for villages only.
    pub urban_rural_class: Option<String>,
    /// `name` with its level suffix stripped, the key for lenient matching.
    key: String,
}

/// The outcome of resolving a name or code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one division matched; its code.
    Found(String),
    /// Several divisions matched equally well, in code order.
    Ambiguous(Vec<Candidate>),
    /// Nothing matched; up to three closest names, best first.
    NotFound(Vec<Candidate>),
}

/// A division offered when a name does not resolve to exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub code: String,
    pub name: String,
    /// The township's name, for a village.
    pub township: Option<String>,
}

impl fmt::Display for Candidate {
    /// `湖头镇(350524102000)` or, for a village, `湖头镇郭埔村委会(350524102218)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let township = self.township.as_deref().unwrap_or("");
        write!(f, "{township}{}({})", self.name, self.code)
    }
}

impl Resolution {
    /// One line of Chinese saying what happened, meant to follow the quoted input:
    /// `“湖投”` + `未找到，最接近：湖头镇(350524102000)`.
    pub fn hint(&self) -> String {
        let list = |c: &[Candidate]| c.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        match self {
            Resolution::Found(code) => format!("已匹配：{code}"),
            Resolution::Ambiguous(c) => format!(
                "对应多个区划：{}；请写明所属乡镇或填写12位区划代码",
                list(c).join("、")
            ),
            Resolution::NotFound(c) if c.is_empty() => "未找到，也没有相近的名称".to_string(),
            Resolution::NotFound(c) => format!("未找到，最接近：{}", list(c).join("、")),
        }
    }
}

/// The county's divisions, loaded from the reference table.
#[derive(Debug, Clone, Default)]
pub struct Divisions {
    rows: Vec<Division>,
    by_code: HashMap<String, usize>,
}

impl Divisions {
    /// Load the reference CSV (`code,name,level,parent_code,urban_rural_class`, with header).
    /// A malformed file is a [`CoreError::Config`] naming the line.
    pub fn from_csv_path(path: &Path) -> Result<Divisions> {
        let config = |message: String| CoreError::Config {
            path: path.to_path_buf(),
            message,
        };
        let file = std::fs::File::open(path).map_err(|source| CoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::Reader::from_reader(file);
        let headers = reader.headers().map_err(|e| config(e.to_string()))?.clone();
        let columns = ["code", "name", "level", "parent_code", "urban_rural_class"]
            .map(|name| headers.iter().position(|h| h.trim() == name).ok_or(name));
        let mut indexes = [0; 5];
        for (slot, column) in indexes.iter_mut().zip(columns) {
            *slot = column.map_err(|name| config(format!("missing column {name}")))?;
        }
        let mut divisions = Divisions::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                config(format!("line {line}: {e}"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |i: usize| record.get(indexes[i]).unwrap_or("");
            divisions
                .push([0, 1, 2, 3, 4].map(field))
                .map_err(|e| config(format!("line {line}: {e}")))?;
        }
        divisions.check_parents().map_err(config)?;
        Ok(divisions)
    }

    /// Build from `(code, name, level, parent_code, urban_rural_class)` tuples. Errors
    /// name the record by its 1-based position, under the path `<records>`.
    pub fn from_records<I, S>(records: I) -> Result<Divisions>
    where
        I: IntoIterator<Item = (S, S, S, S, S)>,
        S: AsRef<str>,
    {
        let config = |message: String| CoreError::Config {
            path: PathBuf::from("<records>"),
            message,
        };
        let mut divisions = Divisions::default();
        for (i, (code, name, level, parent, class)) in records.into_iter().enumerate() {
            let fields = [&code, &name, &level, &parent, &class].map(|s| s.as_ref());
            divisions
                .push(fields)
                .map_err(|e| config(format!("record {}: {e}", i + 1)))?;
        }
        divisions.check_parents().map_err(config)?;
        Ok(divisions)
    }

    fn push(&mut self, [code, name, level, parent_code, class]: [&str; 5]) -> Result<(), String> {
        let code = code.trim();
        if !is_code(code, 12) {
            return Err(format!("code \"{code}\" is not 12 digits"));
        }
        let level = Level::parse(level.trim())
            .ok_or_else(|| format!("level \"{level}\" is not county, township or village"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("{code} has no name"));
        }
        if self.by_code.contains_key(code) {
            return Err(format!("code {code} appears twice"));
        }
        let class = class.trim();
        self.by_code.insert(code.to_string(), self.rows.len());
        self.rows.push(Division {
            code: code.to_string(),
            name: name.to_string(),
            level,
            parent_code: parent_code.trim().to_string(),
            urban_rural_class: (!class.is_empty()).then(|| class.to_string()),
            key: strip_suffix(name, level.suffixes()).to_string(),
        });
        Ok(())
    }

    /// Every village must hang under a township of the table.
    fn check_parents(&self) -> Result<(), String> {
        for village in self.at(Level::Village) {
            if self.get(&village.parent_code).map(|d| d.level) != Some(Level::Township) {
                return Err(format!(
                    "village {} {}: parent {} is not a township in the table",
                    village.code, village.name, village.parent_code
                ));
            }
        }
        Ok(())
    }

    /// The division with this 12-digit code.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|&i| &self.rows[i])
    }

    /// The name of the division with this 12-digit code.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.get(code).map(|d| d.name.as_str())
    }

    /// All townships, in table order.
    pub fn townships(&self) -> impl Iterator<Item = &Division> {
        self.at(Level::Township)
    }

    /// The villages under a township (12-digit code), in table order.
    pub fn villages_of(&self, township_code: &str) -> impl Iterator<Item = &Division> {
        self.at(Level::Village)
            .filter(move |v| v.parent_code == township_code)
    }

    /// Whether `code` is an administrative village (行政村): a village whose name ends in
    /// 村委会 or 村民委员会, as opposed to a 社区 or a farm's 生活区.
    pub fn is_admin_village(&self, code: &str) -> bool {
        self.get(code).is_some_and(|d| {
            d.level == Level::Village
                && (d.name.ends_with("村委会") || d.name.ends_with("村民委员会"))
        })
    }

    fn at(&self, level: Level) -> impl Iterator<Item = &Division> {
        self.rows.iter().filter(move |d| d.level == level)
    }

    /// Resolve a township name, its 12-digit code or its 9-digit code prefix.
    ///
    /// The reporting body's official name is accepted too: `安溪县湖头镇人民政府` is 湖头镇.
    pub fn township(&self, raw: &str) -> Resolution {
        let folded = fold_width(raw);
        let query = self.strip_body(folded.trim());
        if is_code(query, 9) || is_code(query, 12) {
            let code = format!("{query:0<12}");
            return match self.get(&code) {
                Some(d) if d.level == Level::Township => Resolution::Found(code),
                _ => Resolution::NotFound(Vec::new()),
            };
        }
        let pool: Vec<&Division> = self.townships().collect();
        match matches(query, &pool, Level::Township) {
            Some(found) => self.found_or_ambiguous(found),
            None => Resolution::NotFound(self.closest(query, &pool, Level::Township)),
        }
    }

    /// Resolve a village name or 12-digit code, within `township_code` when given.
    ///
    /// With a township, only its villages count; a name that exists only under other
    /// townships gives `NotFound` listing those first, so the submitter sees the mismatch.
    pub fn village(&self, raw: &str, township_code: Option<&str>) -> Resolution {
        let folded = fold_width(raw);
        let query = folded.trim();
        let all: Vec<&Division> = self.at(Level::Village).collect();
        let pool: Vec<&Division> = match township_code {
            Some(t) => {
                let t = format!("{:0<12}", t.trim());
                all.iter().copied().filter(|v| v.parent_code == t).collect()
            }
            None => all.clone(),
        };
        if is_code(query, 12) {
            return match self.get(query) {
                Some(d) if pool.iter().any(|v| v.code == d.code) => {
                    Resolution::Found(d.code.clone())
                }
                Some(d) if d.level == Level::Village => {
                    Resolution::NotFound(vec![self.candidate(d)])
                }
                _ => Resolution::NotFound(Vec::new()),
            };
        }
        if let Some(found) = matches(query, &pool, Level::Village) {
            return self.found_or_ambiguous(found);
        }
        let mut candidates: Vec<Candidate> = match township_code {
            Some(_) => matches(query, &all, Level::Village)
                .unwrap_or_default()
                .into_iter()
                .map(|d| self.candidate(d))
                .collect(),
            None => Vec::new(),
        };
        candidates.truncate(MAX_CANDIDATES);
        let room = MAX_CANDIDATES - candidates.len();
        candidates.extend(
            self.closest(query, &pool, Level::Village)
                .into_iter()
                .take(room),
        );
        Resolution::NotFound(candidates)
    }

    /// `福建省安溪县湖头镇人民政府` → `湖头镇`: drop the government suffix and anything up to
    /// and including the county's own name.
    fn strip_body<'q>(&self, query: &'q str) -> &'q str {
        let mut q = query;
        for suffix in ["人民政府", "政府"] {
            if let Some(rest) = q.strip_suffix(suffix) {
                q = rest;
                break;
            }
        }
        if let Some(county) = self.at(Level::County).next()
            && let Some(pos) = q.find(county.name.as_str())
            && pos + county.name.len() < q.len()
        {
            q = &q[pos + county.name.len()..];
        }
        q.trim()
    }

    fn found_or_ambiguous(&self, found: Vec<&Division>) -> Resolution {
        match found.as_slice() {
            [one] => Resolution::Found(one.code.clone()),
            _ => Resolution::Ambiguous(found.into_iter().map(|d| self.candidate(d)).collect()),
        }
    }

    fn candidate(&self, d: &Division) -> Candidate {
        Candidate {
            code: d.code.clone(),
            name: d.name.clone(),
            township: (d.level == Level::Village)
                .then(|| self.name(&d.parent_code).map(str::to_string))
                .flatten(),
        }
    }

    /// Up to [`MAX_CANDIDATES`] of `pool` by normalised Levenshtein similarity of the
    /// suffix-stripped names, best first, ties by code; names sharing nothing are left out.
    fn closest(&self, query: &str, pool: &[&Division], level: Level) -> Vec<Candidate> {
        let key = strip_suffix(query, level.suffixes());
        let mut scored: Vec<(f64, &Division)> = pool
            .iter()
            .map(|d| (strsim::normalized_levenshtein(key, &d.key), *d))
            .filter(|(score, _)| *score > 0.0)
            .collect();
        scored.sort_by(|(a, x), (b, y)| b.total_cmp(a).then_with(|| x.code.cmp(&y.code)));
        scored
            .into_iter()
            .take(MAX_CANDIDATES)
            .map(|(_, d)| self.candidate(d))
            .collect()
    }
}

/// The divisions of `pool` that `query` names, by the first rule that matches any: the
/// full name; the stripped name equal to the query; the stripped names equal (so that
/// `内村` finds 内村村委会 before `村` is stripped from it). Sorted by code.
fn matches<'a>(query: &str, pool: &[&'a Division], level: Level) -> Option<Vec<&'a Division>> {
    let stripped = strip_suffix(query, level.suffixes());
    let rules: [&dyn Fn(&Division) -> bool; 3] =
        [&|d| d.name == query, &|d| d.key == query, &|d| {
            d.key == stripped
        }];
    rules.into_iter().find_map(|rule| {
        let mut found: Vec<&Division> = pool.iter().copied().filter(|d| rule(d)).collect();
        found.sort_by(|a, b| a.code.cmp(&b.code));
        (!found.is_empty()).then_some(found)
    })
}

/// `name` without the first of `suffixes` it ends with, unless that would leave nothing.
fn strip_suffix<'a>(name: &'a str, suffixes: &[&str]) -> &'a str {
    suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|rest| !rest.is_empty()))
        .unwrap_or(name)
}

fn is_code(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUTOU: &str = "350524102000";
    const GUOPU: &str = "350524102218";

    fn anxi() -> Divisions {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample_data/reference/anxi_divisions.csv");
        Divisions::from_csv_path(&path).unwrap()
    }

    fn found(code: &str) -> Resolution {
        Resolution::Found(code.to_string())
    }

    fn codes(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn loads_the_reference_table() {
        let d = anxi();
        assert_eq!(d.townships().count(), 24);
        assert_eq!(d.at(Level::Village).count(), 492);
        assert_eq!(d.name(HUTOU), Some("湖头镇"));
        assert_eq!(d.name(GUOPU), Some("郭埔村委会"));
        assert_eq!(d.villages_of(HUTOU).count(), 35);
        assert!(d.villages_of(HUTOU).all(|v| v.parent_code == HUTOU));
        assert!(d.is_admin_village(GUOPU));
        assert!(!d.is_admin_village("350524102001"), "宗城社区居委会");
        assert!(!d.is_admin_village("350524102500"), "湖头茶场生活区");
        assert!(!d.is_admin_village(HUTOU));
        assert_eq!(
            d.get("350524105007")
                .and_then(|v| v.urban_rural_class.as_deref()),
            Some("121")
        );
    }

    #[test]
    fn every_township_resolves_by_name_stripped_name_and_code() {
        let d = anxi();
        for t in d.townships() {
            let want = found(&t.code);
            assert_ne!(t.key, t.name, "{} has a suffix", t.name);
            assert_eq!(d.township(&t.name), want, "{}", t.name);
            assert_eq!(d.township(&t.key), want, "{}", t.key);
            assert_eq!(d.township(&format!(" {}街道 ", t.key)), want, "{}", t.key);
            assert_eq!(d.township(&t.code), want);
            assert_eq!(d.township(&t.code[..9]), want);
        }
        assert_eq!(d.township("３５０５２４１０２"), found(HUTOU));
        assert_eq!(d.township(GUOPU), Resolution::NotFound(Vec::new()));
        assert_eq!(d.township("350524999"), Resolution::NotFound(Vec::new()));
    }

    /// Also proves that no two stripped names collide within a township. Across the county
    /// some do (凤山, 朝阳, 上西): without a township those are Ambiguous, listing all.
    #[test]
    fn every_village_resolves_with_and_without_suffix() {
        let d = anxi();
        let mut by_key: HashMap<&str, Vec<&str>> = HashMap::new();
        for v in d.at(Level::Village) {
            by_key.entry(&v.key).or_default().push(&v.code);
        }
        let mut ambiguous = 0;
        for v in d.at(Level::Village) {
            let want = found(&v.code);
            let township = Some(v.parent_code.as_str());
            for form in [v.name.clone(), v.key.clone(), format!("{}村", v.key)] {
                assert_eq!(d.village(&form, township), want, "{form}");
            }
            assert_eq!(d.village(&v.name, None), want, "full names are unique");
            assert_eq!(d.village(&v.code, township), want);
            assert_eq!(d.village(&v.code, None), want);
            let same_key = &by_key[v.key.as_str()];
            match d.village(&v.key, None) {
                Resolution::Ambiguous(c) => {
                    ambiguous += 1;
                    assert_eq!(&codes(&c), same_key);
                }
                other => {
                    assert_eq!(same_key.len(), 1);
                    assert_eq!(other, want);
                }
            }
        }
        assert_eq!(ambiguous, 6, "凤山, 朝阳 and 上西, twice each");
    }

    #[test]
    fn suffix_variants_and_width_fold() {
        let d = anxi();
        for raw in [
            "郭埔",
            "郭埔村",
            "郭埔村委会",
            "郭埔村民委员会",
            "　郭埔村 ",
        ] {
            assert_eq!(d.village(raw, Some(HUTOU)), found(GUOPU), "{raw}");
            assert_eq!(d.village(raw, None), found(GUOPU), "{raw}");
        }
        assert_eq!(d.village("宗城社区", Some(HUTOU)), found("350524102001"));
        assert_eq!(d.village("宗城居委会", None), found("350524102001"));
        assert_eq!(d.village("德苑社区", None), found("350524105007"));
        // 内村村委会 strips to 内村: `内村` must not lose its own 村.
        assert_eq!(d.village("内村", None), found("350524103219"));
        assert_eq!(d.village("内村村", None), found("350524103219"));
        assert_eq!(d.township("湖头乡"), found(HUTOU));
    }

    #[test]
    fn same_name_in_two_townships() {
        let d = anxi();
        let Resolution::Ambiguous(c) = d.village("凤山", None) else {
            panic!("凤山 is in 凤城镇 and 魁斗镇");
        };
        assert_eq!(codes(&c), ["350524100004", "350524111207"]);
        assert_eq!(c[0].to_string(), "凤城镇凤山社区居委会(350524100004)");
        assert_eq!(
            Resolution::Ambiguous(c).hint(),
            "对应多个区划：凤城镇凤山社区居委会(350524100004)、魁斗镇凤山村委会(350524111207)；\
             请写明所属乡镇或填写12位区划代码"
        );
        assert_eq!(
            d.village("凤山", Some("350524111000")),
            found("350524111207")
        );
        assert_eq!(
            d.village("凤山村", Some("350524111")),
            found("350524111207")
        );
    }

    #[test]
    fn a_village_of_another_township_is_not_found_but_offered() {
        let d = anxi();
        let Resolution::NotFound(c) = d.village("郭埔", Some("350524100000")) else {
            panic!("郭埔 is not in 凤城镇");
        };
        assert_eq!(c[0].code, GUOPU);
        assert_eq!(c[0].township.as_deref(), Some("湖头镇"));
        assert!(c.len() <= 3);
        assert_eq!(
            d.village(GUOPU, Some("350524100000")),
            Resolution::NotFound(vec![d.candidate(d.get(GUOPU).unwrap())])
        );
    }

    #[test]
    fn typos_offer_the_intended_name_first() {
        let d = anxi();
        let not_found = |r: Resolution| match r {
            Resolution::NotFound(c) => c,
            other => panic!("{other:?}"),
        };
        let c = not_found(d.township("湖投"));
        assert_eq!(c[0].code, HUTOU);
        assert_eq!(c[0].to_string(), "湖头镇(350524102000)");
        assert!(
            Resolution::NotFound(c)
                .hint()
                .starts_with("未找到，最接近：湖头镇(350524102000)")
        );
        assert_eq!(not_found(d.township("龙门真"))[0].name, "龙门镇");
        assert_eq!(not_found(d.township("蓝天乡"))[0].name, "蓝田乡");
        // 兰田 is one edit from both 芦田 and 蓝田: a tie, broken by code.
        let names: Vec<String> = not_found(d.township("兰田"))
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names[..2], ["芦田镇", "蓝田乡"]);
        assert_eq!(not_found(d.village("郭浦村", Some(HUTOU)))[0].code, GUOPU);
        assert_eq!(
            not_found(d.village("湖头茶厂生活区", None))[0].code,
            "350524102500"
        );
        let none = Resolution::NotFound(Vec::new());
        assert_eq!(d.township("北京"), none);
        assert_eq!(none.hint(), "未找到，也没有相近的名称");
        assert_eq!(found(HUTOU).hint(), "已匹配：350524102000");
        let c = not_found(d.village("山", None));
        assert!(
            c.len() == 3 && c.windows(2).all(|w| w[0].code < w[1].code),
            "ties by code"
        );
    }

    #[test]
    fn malformed_tables_name_the_row() {
        let row = |code: &'static str, name, level, parent| (code, name, level, parent, "");
        let ok = [
            row("350524102000", "湖头镇", "township", "350524000000"),
            row("350524102218", "郭埔村委会", "village", "350524102000"),
        ];
        let d = Divisions::from_records(ok).unwrap();
        assert_eq!(d.village("郭埔", None), found(GUOPU));

        let message =
            |records: Vec<(&str, &str, &str, &str, &str)>| match Divisions::from_records(records)
                .unwrap_err()
            {
                CoreError::Config { message, .. } => message,
                other => panic!("{other}"),
            };
        let mut bad = ok.to_vec();
        bad.push(row("35052410221", "短码", "village", "350524102000"));
        assert_eq!(
            message(bad),
            "record 3: code \"35052410221\" is not 12 digits"
        );
        let mut bad = ok.to_vec();
        bad[1].2 = "hamlet";
        assert!(message(bad).starts_with("record 2: level \"hamlet\""));
        let mut bad = ok.to_vec();
        bad.push(ok[1]);
        assert_eq!(message(bad), "record 3: code 350524102218 appears twice");
        assert!(message(ok[1..].to_vec()).contains("parent 350524102000 is not a township"));

        let path =
            std::env::temp_dir().join(format!("ecstat-divisions-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "code,name,level,parent_code,urban_rural_class\n\
             350524102000,湖头镇,township,350524000000,\n\
             350524102218,郭埔村委会,village\n",
        )
        .unwrap();
        let err = Divisions::from_csv_path(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(err, CoreError::Config { .. }), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
        let missing = Divisions::from_csv_path(Path::new("/nonexistent/divisions.csv"));
        assert!(matches!(missing, Err(CoreError::Io { .. })));
    }

    #[test]
    fn the_reporting_body_name_resolves_to_its_township() {
        let d = anxi();
        let hutou = found(HUTOU);
        assert_eq!(d.township("安溪县湖头镇人民政府"), hutou);
        assert_eq!(d.township("福建省泉州市安溪县湖头镇"), hutou);
        assert_eq!(d.township("湖头镇政府"), hutou);
        assert!(matches!(d.township("安溪县"), Resolution::NotFound(_)));
    }
}

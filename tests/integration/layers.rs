//! The layers of docs/architecture.md, kept by reading `src/`: a module may use only modules of
//! lower layers (and, in a stacked layer, those listed before it); `sources`, `ops` and `ui`
//! never use one another; the demo simulator uses only `model` and `state::Update`. A
//! violation names the file, the line, the import and the rule. Test code (`#[cfg(test)]`
//! modules, `tests.rs`) may use anything: a State test may drive the demo simulator.

use std::path::{Path, PathBuf};

/// Lowest first: (layer, its top-level modules, whether modules of the layer may use the ones
/// listed before them).
const LAYERS: &[(&str, &[&str], bool)] = &[
    ("model", &["files", "model", "sanitize", "query"], true),
    ("state", &["layout", "state"], true),
    ("shared", &["net", "theme", "keymap"], false),
    ("peers", &["sources", "ops", "ui"], false),
    ("top", &["config", "config_file", "app", "main"], true),
];

/// Files of the demo simulator (not its task and operator in `src/sources/demo/mod.rs`).
const SIM: &str = "src/sources/demo/";
const SIM_TASK: &str = "src/sources/demo/mod.rs";
const SIM_MAY_USE: &[&str] = &["crate::model", "crate::state::Update"];

fn rank(module: &str) -> Option<(usize, usize)> {
    LAYERS
        .iter()
        .enumerate()
        .find_map(|(l, (_, mods, _))| mods.iter().position(|m| *m == module).map(|i| (l, i)))
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's text with comments, string literals and `#[cfg(test)]` modules blanked out
/// (line breaks kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |s: &str, out: &mut String| {
        for c in s.chars() {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            blank(&text[i..end], &mut out);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            blank(&text[i..end], &mut out);
            i = end;
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            let end = raw.find("\"#").map_or(text.len(), |n| i + 3 + n + 2);
            blank(&text[i..end], &mut out);
            i = end;
        } else if rest.starts_with('"') {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&text[i..end], &mut out);
            i = end;
        } else if rest.starts_with("'\"'") {
            blank("'\"'", &mut out);
            i += 3;
        } else if rest.starts_with("#[cfg(test)]") {
            // The attribute and the item after it, to its closing brace or semicolon.
            let mut j = i + "#[cfg(test)]".len();
            let mut depth = 0usize;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    b';' if depth == 0 => {
                        j += 1;
                        break;
                    }
                    _ => {}
                }
                j += 1;
            }
            blank(&text[i..j.min(b.len())], &mut out);
            i = j;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The top-level module a source file belongs to (`src/state/view.rs` → `state`), and how
/// deep it is below it (for `super::`).
fn module_of(rel: &str) -> (String, usize) {
    let parts: Vec<&str> = rel.trim_start_matches("src/").split('/').collect();
    let top = parts[0].trim_end_matches(".rs").to_string();
    // src/x.rs and src/x/mod.rs are the module itself; src/x/a.rs is one below.
    let depth = match parts.len() {
        1 => 0,
        n if parts[n - 1] == "mod.rs" => n - 2,
        n => n - 1,
    };
    (top, depth)
}

/// Every `crate::x` a line names, with `super::` chains that climb to the crate root resolved.
fn crate_paths(line: &str, depth: usize, bin: bool) -> Vec<String> {
    let mut out = Vec::new();
    let starts = |at: usize| {
        at == 0
            || !line[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    for root in ["crate::", "opsdeck::"] {
        if root == "opsdeck::" && !bin {
            continue;
        }
        let mut from = 0;
        while let Some(k) = line[from..].find(root) {
            let at = from + k;
            if starts(at) {
                let path: String = line[at + root.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push(format!("crate::{}", path.trim_end_matches(':')));
            }
            from = at + root.len();
        }
    }
    let mut from = 0;
    while let Some(k) = line[from..].find("super::") {
        let at = from + k;
        if starts(at) {
            let mut n = 0;
            let mut rest = &line[at..];
            while let Some(r) = rest.strip_prefix("super::") {
                n += 1;
                rest = r;
            }
            if n > depth {
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push(format!("crate::{}", path.trim_end_matches(':')));
            }
            from = at + n * "super::".len();
        } else {
            from = at + "super::".len();
        }
    }
    out
}

/// The rule a use of `target` from `module` breaks, if any.
fn broken_rule(module: &str, target: &str) -> Option<String> {
    let (from_layer, from_i) = rank(module)?;
    let Some((to_layer, to_i)) = rank(target) else {
        return Some(format!("{target} is in no layer: add it to LAYERS"));
    };
    let (name, mods, stacked) = LAYERS[from_layer];
    let order = LAYERS
        .iter()
        .map(|l| l.1.join("·"))
        .collect::<Vec<_>>()
        .join(" → ");
    if to_layer > from_layer {
        return Some(format!(
            "{module} ({name}) may not use {target} ({}): a layer uses only the layers below it ({order})",
            LAYERS[to_layer].0
        ));
    }
    if to_layer == from_layer {
        if !stacked {
            return Some(format!(
                "{module} and {target} stand side by side in {name} ({}): neither may use the other",
                mods.join(", ")
            ));
        }
        if to_i > from_i {
            return Some(format!(
                "{module} may not use {target}: in {name}, a module uses only those before it ({})",
                mods.join(" → ")
            ));
        }
    }
    None
}

/// Every violation in `src/`, as `file:line: import: rule`.
fn violations(src: &Path) -> Vec<String> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.sort();
    let root = src.parent().unwrap_or(src);
    let mut out = Vec::new();
    for path in all {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with("/tests.rs") || rel.contains("/tests/") || rel == "src/lib.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let code = code_only(&text);
        let (module, depth) = module_of(&rel);
        let bin = rel == "src/main.rs";
        for (n, line) in code.lines().enumerate() {
            for p in crate_paths(line, depth, bin) {
                let target = p
                    .trim_start_matches("crate::")
                    .split("::")
                    .next()
                    .unwrap_or("")
                    .to_string();
                if target.is_empty() || target == module {
                    continue;
                }
                if let Some(rule) = broken_rule(&module, &target) {
                    out.push(format!("{rel}:{}: {p}: {rule}", n + 1));
                }
            }
            if rel.starts_with(SIM) && rel != SIM_TASK {
                for p in crate_paths(line, depth, false) {
                    if !p.starts_with("crate::sources::demo")
                        && !SIM_MAY_USE.iter().any(|ok| p.starts_with(ok))
                    {
                        out.push(format!(
                            "{rel}:{}: {p}: the demo simulator uses only {}",
                            n + 1,
                            SIM_MAY_USE.join(" and ")
                        ));
                    }
                }
            }
        }
    }
    out
}

/// `OPSDECK_LAYERS_SRC=/path/to/other/src` checks another tree (an older commit, say).
#[test]
fn lower_layers_never_use_higher_ones() {
    let src = std::env::var_os("OPSDECK_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let v = violations(&src);
    assert!(
        v.is_empty(),
        "{} layering violations:\n{}",
        v.len(),
        v.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    assert_eq!(
        crate_paths("use crate::sources::loki::narrow;", 1, false),
        ["crate::sources::loki::narrow"]
    );
    assert_eq!(
        crate_paths("    let q = crate::ui::fmt_window(w);", 1, false),
        ["crate::ui::fmt_window"]
    );
    assert_eq!(
        crate_paths("use super::super::ops::Target;", 1, false),
        ["crate::ops::Target"]
    );
    assert!(crate_paths("use super::State;", 1, false).is_empty());
    assert_eq!(
        crate_paths("use opsdeck::state::State;", 0, true),
        ["crate::state::State"]
    );
    assert!(crate_paths("my_crate::x", 0, false).is_empty());
    let code = code_only(
        "use crate::a; // crate::b\nlet s = \"crate::c\";\n#[cfg(test)]\nmod tests {\n use crate::d;\n}\nuse crate::e;\n",
    );
    let found: Vec<String> = code
        .lines()
        .flat_map(|l| crate_paths(l, 0, false))
        .collect();
    assert_eq!(found, ["crate::a", "crate::e"]);
    assert_eq!(code.lines().count(), 7, "line numbers are kept");
    assert!(broken_rule("state", "sources").is_some());
    assert!(broken_rule("state", "ui").is_some());
    assert!(
        broken_rule("ui", "ops").is_some(),
        "peers stand side by side"
    );
    assert!(broken_rule("model", "sanitize").is_some());
    assert!(broken_rule("sanitize", "model").is_none());
    assert!(broken_rule("ui", "state").is_none());
    assert!(broken_rule("app", "ui").is_none());
    assert!(broken_rule("ui", "nowhere").is_some());
    assert_eq!(module_of("src/state/view.rs"), ("state".into(), 1));
    assert_eq!(module_of("src/state/mod.rs"), ("state".into(), 0));
    assert_eq!(module_of("src/sources/demo/sim.rs"), ("sources".into(), 2));
    assert_eq!(module_of("src/app.rs"), ("app".into(), 0));
}

/// Run on the tree as it was before the layering work (commit 906a47c), the checker names
/// its upward imports; this keeps two of them as examples of what it reports.
#[test]
fn yesterdays_upward_imports_are_reported() {
    let dir = std::env::temp_dir().join(format!("opsdeck-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("state")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        src.join("state").join("view.rs"),
        "use super::State;\n\nfn q() {\n    crate::sources::loki::narrow(base, &labels);\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        src.join("theme.rs"),
        "fn user_dir() {\n    crate::config::config_dir();\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let v = violations(&src);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(
        v[0].starts_with("src/state/view.rs:4: crate::sources::loki::narrow: state (state) may not use sources (peers)"),
        "{}",
        v[0]
    );
    assert!(
        v[1].starts_with(
            "src/theme.rs:2: crate::config::config_dir: theme (shared) may not use config (top)"
        ),
        "{}",
        v[1]
    );
}

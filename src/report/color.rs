//! When to colour: `--color auto|always|never` with ripgrep's and cargo's conventions. `auto`
//! colours only a terminal; `NO_COLOR` (set and not empty) turns colours off, then
//! `CLICOLOR_FORCE` (set and not `0`) on even into a pipe, then `CLICOLOR=0` or `TERM=dumb`
//! off, in the order anstream checks them. `always` and `never` override the environment.
//! Colour only ever wraps text that [`super::sanitize`] has already cleaned: a file's bytes never
//! carry an escape of their own to the terminal.

/// `--color`, as the reporter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    /// Decide from the environment and whether stdout is a terminal.
    Auto,
    /// Colour.
    Always,
    /// Do not colour.
    Never,
}

/// Whether to colour stdout; `env` reads an environment variable.
pub(crate) fn enabled(
    when: ColorWhen,
    env: &dyn Fn(&str) -> Option<String>,
    terminal: bool,
) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            if set("NO_COLOR") {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else if env("CLICOLOR").as_deref() == Some("0") {
                false
            } else {
                terminal && env("TERM").as_deref() != Some("dumb")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)], when: ColorWhen, terminal: bool) -> bool {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        enabled(
            when,
            &|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            terminal,
        )
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        assert!(with(&[], ColorWhen::Auto, true));
        assert!(!with(&[], ColorWhen::Auto, false));
        assert!(!with(&[("TERM", "dumb")], ColorWhen::Auto, true));
        assert!(!with(&[("CLICOLOR", "0")], ColorWhen::Auto, true));
    }

    #[test]
    fn no_color_wins_over_clicolor_force_and_flags_win_over_both() {
        assert!(!with(&[("NO_COLOR", "1")], ColorWhen::Auto, true));
        // An empty NO_COLOR is unset (no-color.org).
        assert!(with(&[("NO_COLOR", "")], ColorWhen::Auto, true));
        assert!(with(&[("CLICOLOR_FORCE", "1")], ColorWhen::Auto, false));
        assert!(!with(&[("CLICOLOR_FORCE", "0")], ColorWhen::Auto, false));
        assert!(!with(
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            ColorWhen::Auto,
            true
        ));
        assert!(with(&[("NO_COLOR", "1")], ColorWhen::Always, false));
        assert!(!with(&[("CLICOLOR_FORCE", "1")], ColorWhen::Never, true));
    }
}

//! The built-in providers (spec §13), each following its ecosystem's own conventions: the
//! Claude Code and Codex CLIs as command presets, and the OpenAI, Anthropic and Ollama APIs
//! at the addresses their own tools read from the environment.

use std::collections::HashMap;

use crate::ir::{Builtin, CliFormat, CommandPart, ProviderKind};

/// What a built-in provider is, once the environment has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinSettings {
    pub kind: ProviderKind,
    pub url: Option<String>,
    pub command: Option<Vec<CommandPart>>,
    pub format: CliFormat,
    /// The variable holding the API key, when the provider needs one.
    pub key: Option<&'static str>,
}

/// The settings of a built-in provider under this environment.
pub fn builtin(which: Builtin, env: &HashMap<String, String>) -> BuiltinSettings {
    let var = |name: &str| env.get(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    let none =
        BuiltinSettings { kind: ProviderKind::OpenAi, url: None, command: None, format: CliFormat::Text, key: None };
    match which {
        // Headless Claude Code: the prompt on stdin, the answer and usage as JSON lines, and
        // file edits allowed without asking (an agent step that fixes code must write files).
        Builtin::ClaudeCode => BuiltinSettings {
            kind: ProviderKind::Command,
            command: Some(preset(
                "claude -p --output-format stream-json --verbose --permission-mode acceptEdits --model ",
                "",
            )),
            format: CliFormat::Claude,
            ..none
        },
        // `-` reads the prompt from stdin.
        Builtin::Codex => BuiltinSettings {
            kind: ProviderKind::Command,
            command: Some(preset("codex exec --json --skip-git-repo-check --model ", " -")),
            format: CliFormat::Codex,
            ..none
        },
        Builtin::OpenAi => BuiltinSettings {
            url: Some(var("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".to_owned())),
            key: Some("OPENAI_API_KEY"),
            ..none
        },
        Builtin::Anthropic => BuiltinSettings {
            kind: ProviderKind::Anthropic,
            url: Some(var("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".to_owned())),
            key: Some("ANTHROPIC_API_KEY"),
            ..none
        },
        // Ollama's OpenAI-compatible endpoint; `OLLAMA_HOST` may be `host:port` alone.
        Builtin::Ollama => {
            let host = var("OLLAMA_HOST").unwrap_or_else(|| "http://127.0.0.1:11434".to_owned());
            let host = if host.contains("://") { host } else { format!("http://{host}") };
            BuiltinSettings { url: Some(format!("{}/v1", host.trim_end_matches('/'))), ..none }
        }
    }
}

fn preset(before: &str, after: &str) -> Vec<CommandPart> {
    let mut parts = vec![CommandPart::Text(before.to_owned()), CommandPart::Model];
    if !after.is_empty() {
        parts.push(CommandPart::Text(after.to_owned()));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn apis_read_their_ecosystems_variables() {
        let openai = builtin(Builtin::OpenAi, &env(&[("OPENAI_BASE_URL", "http://127.0.0.1:4000/v1")]));
        assert_eq!((openai.url.as_deref(), openai.key), (Some("http://127.0.0.1:4000/v1"), Some("OPENAI_API_KEY")));
        let anthropic = builtin(Builtin::Anthropic, &env(&[]));
        assert_eq!(anthropic.url.as_deref(), Some("https://api.anthropic.com"));
        assert_eq!(anthropic.kind, ProviderKind::Anthropic);
        let ollama = builtin(Builtin::Ollama, &env(&[("OLLAMA_HOST", "10.1.2.3:11434")]));
        assert_eq!((ollama.url.as_deref(), ollama.key), (Some("http://10.1.2.3:11434/v1"), None));
        assert_eq!(builtin(Builtin::Ollama, &env(&[])).url.as_deref(), Some("http://127.0.0.1:11434/v1"));
    }

    #[test]
    fn clis_are_command_presets_with_their_formats() {
        let claude = builtin(Builtin::ClaudeCode, &env(&[]));
        assert_eq!((claude.kind, claude.format), (ProviderKind::Command, CliFormat::Claude));
        let codex = builtin(Builtin::Codex, &env(&[]));
        assert_eq!(codex.format, CliFormat::Codex);
        assert_eq!(codex.command.as_ref().and_then(|parts| parts.last()), Some(&CommandPart::Text(" -".into())));
    }
}

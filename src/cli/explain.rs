use super::Exit;

pub fn run(code: Option<&str>) -> Exit {
    let Some(code) = code else {
        for entry in wf::explain::entries() {
            let summary = entry.text.lines().skip(1).find(|line| !line.trim().is_empty()).unwrap_or_default();
            println!("{:<40} {summary}", entry.code);
        }
        return Exit::Success;
    };
    match wf::explain::lookup(code) {
        Some(entry) => {
            println!("{}", entry.text);
            Exit::Success
        }
        None => {
            let codes: Vec<String> = wf::explain::entries().into_iter().map(|entry| entry.code).collect();
            let short = code.rsplit("::").next().unwrap_or(code);
            let names: Vec<&str> = codes.iter().map(|code| code.rsplit("::").next().unwrap_or(code)).collect();
            eprintln!("error: no diagnostic has the code `{code}`");
            if let Some(name) = wf::suggest::did_you_mean(short, names.iter().copied()) {
                if let Some(full) = codes.iter().find(|full| full.ends_with(&format!("::{name}"))) {
                    eprintln!("help: did you mean `{full}`?");
                }
            }
            eprintln!("help: `wf explain` with no code lists them all");
            Exit::Usage
        }
    }
}

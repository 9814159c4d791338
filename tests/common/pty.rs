#![allow(clippy::disallowed_methods)] // Tests run the binary at a pseudo-terminal.

//! `wf` run at a pseudo-terminal, as a person would: what it prints is collected as it
//! comes, and the test types answers when the question it waits for shows.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Terminal {
    child: Child,
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    /// Starts `command` with its stdin, stdout and stderr on a new pseudo-terminal.
    pub fn spawn(mut command: Command) -> Terminal {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let slave = File::from(pty.slave);
        command
            .stdin(Stdio::from(slave.try_clone().expect("slave fd")))
            .stdout(Stdio::from(slave.try_clone().expect("slave fd")))
            .stderr(Stdio::from(slave));
        let child = command.spawn().expect("wf starts");
        // The command holds the slave side now; ours is closed with `command`.
        drop(command);
        let master = File::from(pty.master);
        let mut reader = master.try_clone().expect("master fd");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // Reading fails (EIO) once every holder of the slave side is gone.
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("screen").extend_from_slice(&buffer[..n]);
            }
        });
        Terminal { child, master, screen }
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().expect("screen")).into_owned()
    }

    /// Waits until `text` has been printed `times` times in all.
    pub fn wait_for(&self, text: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.screen().matches(text).count() < times {
            assert!(Instant::now() < deadline, "`{text}` never showed; the screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn type_line(&mut self, line: &str) {
        self.master.write_all(format!("{line}\n").as_bytes()).expect("typing");
        self.master.flush().expect("typing");
    }

    /// Waits for wf to exit; its exit code.
    pub fn exit_code(mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "wf never exited; the screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

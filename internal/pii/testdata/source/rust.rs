use std::collections::HashMap;
use std::io::{self, BufRead};

#[derive(Debug, Default)]
struct Stats {
    lines: usize,
    words: usize,
    freq: HashMap<String, usize>,
}

impl Stats {
    fn add_line(&mut self, line: &str) {
        self.lines += 1;
        for w in line.split_whitespace() {
            self.words += 1;
            *self.freq.entry(w.to_lowercase()).or_insert(0) += 1;
        }
    }

    fn top(&self, n: usize) -> Vec<(&String, &usize)> {
        let mut v: Vec<_> = self.freq.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let mut stats = Stats::default();
    for line in stdin.lock().lines() {
        stats.add_line(&line?);
    }
    for (w, c) in stats.top(10) {
        println!("{w}\t{c}");
    }
    Ok(())
}

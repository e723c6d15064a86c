use super::*;
use proptest::prelude::*;

/// Characters without a face: a Chinese character is 1 em wide, anything else half.
fn sets(text: &str) -> Vec<Set> {
    text.chars()
        .map(|ch| Set {
            ch,
            face: None,
            gid: 0,
            adv: if ch == '\n' {
                0.0
            } else if is_cjk(ch) {
                10.0
            } else {
                5.0
            },
            style: Style::serif(10.0),
        })
        .collect()
}

fn lines(text: &str, width: f32) -> Vec<String> {
    let s = sets(text);
    Fonts::break_lines(&s, width, 0.0)
        .iter()
        .map(|l| s[l.range.clone()].iter().map(|c| c.ch).collect())
        .collect()
}

#[test]
fn chinese_breaks_anywhere_but_not_before_closing_or_after_opening_punctuation() {
    // Ten characters per line: the comma would begin line two, so 究 goes down with it;
    // the opening bracket would end line two, so it goes down to line three.
    let text = "为方便群众出行经研究，决定调整城区部（含３路）线路。";
    let l = lines(text, 100.0);
    assert_eq!(
        l,
        [
            "为方便群众出行经研",
            "究，决定调整城区部",
            "（含３路）线路。"
        ]
    );
    for line in &l {
        let first = line.chars().next().unwrap();
        let last = line.chars().last().unwrap();
        assert!(!no_start(first), "{line:?} begins with {first}");
        assert!(!no_end(last), "{line:?} ends with {last}");
    }
    assert_eq!(l.concat(), text);
}

#[test]
fn latin_words_stay_whole_and_hard_breaks_start_a_line() {
    let l = lines("咨询电话 0000-1234567 网址 example.gov.cn\n第二行", 120.0);
    assert!(l.iter().any(|x| x.contains("example.gov.cn")), "{l:?}");
    assert_eq!(l.last().unwrap(), "第二行");
    // A word longer than the line is cut where it must be.
    let l = lines("abcdefghijklmnopqrstuvwxyz", 50.0);
    assert_eq!(l.concat(), "abcdefghijklmnopqrstuvwxyz");
    assert!(l.iter().all(|x| x.chars().count() <= 10), "{l:?}");
}

proptest! {
    /// Nothing is lost or reordered, and no line is wider than the measure unless it is
    /// a single character.
    #[test]
    fn lines_keep_every_character_and_fit(
        text in "[政府信息公开条例，。（）《》、a-z0-9 \n]{0,120}",
        width in 20.0f32..300.0,
    ) {
        let s = sets(&text);
        let ls = Fonts::break_lines(&s, width, 0.0);
        let mut joined = String::new();
        let mut at = 0;
        for l in &ls {
            // Between lines only spaces and hard breaks are dropped.
            for c in &s[at..l.range.start] {
                prop_assert!(c.ch == ' ' || c.ch == '\n', "dropped {:?}", c.ch);
            }
            joined.extend(s[l.range.clone()].iter().map(|c| c.ch));
            at = l.range.end;
            prop_assert!(l.width <= width + 0.01 || l.range.len() <= 1,
                "a line of {:?} is {} wide", &text, l.width);
        }
        let kept: String = text.chars().filter(|c| *c != ' ' && *c != '\n').collect();
        let got: String = joined.chars().filter(|c| *c != ' ' && *c != '\n').collect();
        prop_assert_eq!(kept, got);
    }
}

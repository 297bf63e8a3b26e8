//! The mistakes browser of the epoch pages: every misclassified image written, filtered and
//! sorted from the URL fragment by the page's script, and each image's history across epochs,
//! checked in headless Chromium from `file://`.

use crate::common::{args, epoch_data, run, tiny_dataset};

/// The `data-index` of every listed figure, in page order.
fn listed(dom: &str) -> Vec<u64> {
    dom.split("class=\"mistake\" data-index=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn every_mistake_is_written_and_the_page_filters_sorts_and_shows_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    // The grid shows 2 mistakes; the browser must list all of them.
    let flags = ["--epochs", "3", "--report-samples", "2", "--lr", "0.02"];
    run(args(dir.path(), &data, &flags)).unwrap();
    let reports = dir.path().join("reports/tiny");
    let data = epoch_data(&reports, 3);
    let classes: Vec<&str> = data["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let images = data["images"].as_array().unwrap();
    assert_eq!(images.len(), 15, "every validation image has a record");
    let wrong: Vec<&serde_json::Value> = images.iter().filter(|im| im["p"] != im["l"]).collect();
    assert!(
        wrong.len() > 2,
        "more mistakes than the grid shows: {}",
        wrong.len()
    );
    let metrics = crate::common::json(&reports.join("epoch-003/metrics.json"));
    let misclassified_in_grid = metrics["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "misclassified")
        .count();
    assert_eq!(misclassified_in_grid, 2);
    // Each mistake's picture, and its true- and predicted-class maps in its record: side²
    // bytes in base64.
    let side = data["listed_map_side"].as_u64().unwrap();
    let encoded = (side * side).div_ceil(3) * 4;
    for im in &wrong {
        let i = im["i"].as_u64().unwrap();
        let picture = format!("images/{i:05}.png");
        assert!(reports.join(&picture).is_file(), "missing {picture}");
        for map in ["mt", "mp"] {
            assert_eq!(
                im[map].as_str().map(str::len),
                Some(encoded as usize),
                "{map} of {i}"
            );
        }
        assert!(im["since"].as_u64().unwrap() <= 3);
    }
    assert!(
        images
            .iter()
            .all(|im| (im["p"] == im["l"] && im["ch"].is_null()) == im["mt"].is_null()),
        "finer maps for the listed images only"
    );

    // The true→predicted pair with the most mistakes, listed by loss.
    let pair = |im: &&serde_json::Value| (im["l"].as_u64().unwrap(), im["p"].as_u64().unwrap());
    let (truth, predicted) = wrong
        .iter()
        .map(pair)
        .max_by_key(|&p| wrong.iter().filter(|im| pair(im) == p).count())
        .unwrap();
    let mut expected: Vec<&&serde_json::Value> = wrong
        .iter()
        .filter(|im| pair(im) == (truth, predicted))
        .collect();
    expected.sort_by(|a, b| {
        b["loss"]
            .as_f64()
            .unwrap()
            .total_cmp(&a["loss"].as_f64().unwrap())
    });
    let expected: Vec<u64> = expected
        .iter()
        .map(|im| im["i"].as_u64().unwrap())
        .collect();
    let (t, p) = (classes[truth as usize], classes[predicted as usize]);
    let opened = expected[0];
    let page = reports.join("epoch-003/index.html");
    let dom =
        camwatch_tests::chromium_dom(&page, &format!("true={t}&pred={p}&sort=loss&open={opened}"));
    assert_eq!(listed(&dom), expected, "the filtered list, by loss");
    // The enlarged mistake: its picture, and both maps drawn over it.
    let view = &dom[dom
        .find("id=\"enlarged-images\"")
        .expect("the enlarged view")..];
    let view = &view[..view.find("id=\"history\"").unwrap_or(view.len())];
    assert_eq!(
        view.matches("<canvas").count(),
        2,
        "true and predicted maps: {view}"
    );
    let count = format!("{} misclassified image", expected.len());
    assert!(
        dom.contains(&count) && dom.contains(&format!("of class {t} taken for {p}")),
        "{count}"
    );
    // The enlarged image's history: one cell per epoch, each with its map and prediction.
    let history = &dom[dom.find("id=\"history\"").expect("history strip")..];
    for epoch in 1..=3 {
        let cell = format!("data-epoch=\"{epoch}\"");
        let at = history
            .find(&cell)
            .unwrap_or_else(|| panic!("no cell for epoch {epoch}"));
        let next = history[at..]
            .find("</div></div>")
            .unwrap_or(history.len() - at);
        let content = &history[at..at + next];
        assert!(content.contains("<canvas"), "epoch {epoch}: {content}");
        assert!(content.contains(&format!("data-epoch=\"{epoch}\"")));
    }

    // Every mistake, sorted by p(true) ascending.
    let dom = camwatch_tests::chromium_dom(&page, "sort=p_true");
    let mut by_p_true: Vec<(f64, u64)> = wrong
        .iter()
        .map(|im| (im["pt"].as_f64().unwrap(), im["i"].as_u64().unwrap()))
        .collect();
    by_p_true.sort_by(|a, b| a.0.total_cmp(&b.0));
    let shown = listed(&dom);
    assert_eq!(shown.len(), wrong.len(), "all mistakes listed");
    let p_true = |i: u64| by_p_true.iter().find(|(_, j)| *j == i).unwrap().0;
    assert!(
        shown.windows(2).all(|w| p_true(w[0]) <= p_true(w[1])),
        "{shown:?}"
    );

    // The run page links each epoch's newly broken images.
    let index = std::fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(
        index.contains("epoch-002/index.html#show=broken"),
        "run page links"
    );
}

/// Classes named with the characters a URL fragment uses (`&`, `=`, `#`, `%`, spaces): the
/// confusion matrix's link to a class's mistakes opens exactly them. A correctly classified
/// image, which has no map files, opens with its small map and no broken picture.
#[test]
fn odd_class_names_filter_exactly_their_images_and_no_view_shows_a_broken_picture() {
    // With their links as the page must write them, percent-encoded.
    let odd = [
        (
            "checker",
            "a&b=c#d e%20f",
            "a%26b%3Dc%23d%20e%2520f",
            "a&amp;b=c#d e%20f",
        ),
        (
            "dots",
            "dots & co #2",
            "dots%20%26%20co%20%232",
            "dots &amp; co #2",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    for split in ["train", "val"] {
        for (from, to, _, _) in odd {
            std::fs::rename(data.join(split).join(from), data.join(split).join(to)).unwrap();
        }
    }
    run(args(dir.path(), &data, &["--epochs", "1"])).unwrap();
    let reports = dir.path().join("reports/tiny");
    let epoch = epoch_data(&reports, 1);
    let images = epoch["images"].as_array().unwrap();
    let page = reports.join("epoch-001/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let mut checked = 0;
    for (_, name, encoded, escaped) in odd {
        let class = epoch["classes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .expect("the odd class") as u64;
        let wrong: Vec<u64> = images
            .iter()
            .filter(|im| im["l"] == class && im["p"] != im["l"])
            .map(|im| im["i"].as_u64().unwrap())
            .collect();
        let link = format!("true={encoded}");
        assert!(
            html.contains(&format!("href=\"#{link}\"")),
            "{name}'s row link"
        );
        if wrong.is_empty() {
            continue;
        }
        let dom = camwatch_tests::chromium_dom(&page, &link);
        let mut shown = listed(&dom);
        shown.sort();
        assert_eq!(shown, wrong, "exactly {name}'s mistakes");
        let count = format!("{} misclassified image", wrong.len());
        assert!(dom.contains(&count) && dom.contains(&format!("of class {escaped}")));
        checked += 1;
    }
    assert!(checked > 0, "one odd class has mistakes to list");

    // A right answer: no map files; its view draws the small map, and no <img> of a file that
    // does not exist.
    let right = images
        .iter()
        .find(|im| im["p"] == im["l"])
        .expect("a right answer")["i"]
        .as_u64()
        .unwrap();
    let dom = camwatch_tests::chromium_dom(&page, &format!("open={right}"));
    let view = &dom[dom
        .find("id=\"enlarged-images\"")
        .expect("the enlarged view")..];
    let view = &view[..view.find("id=\"history\"").unwrap_or(view.len())];
    assert!(view.contains("<canvas"), "the small map: {view}");
    for src in view
        .split("src=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        assert!(
            page.parent().unwrap().join(src).is_file(),
            "{src} does not exist"
        );
    }
}

//! The `gallery` command: a labelled and an unlabelled test folder, checked against `explain`
//! on each image, and a filtered view rendered in headless Chromium.

use std::path::{Path, PathBuf};

use clap::Parser;
use train::cli::{Cli, Command};

use camwatch_tests::fixture;

const CLASSES: [&str; 5] = ["apple", "bear", "cat", "dog", "eel"];

/// A 48×40 picture whose colours and stripes vary with `seed`, so that predictions vary.
fn write_picture(path: &Path, seed: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(48, 40, |x, y| {
        let stripe = (x * (1 + seed % 5) + y * (seed % 3)) / 4 % 2;
        image::Rgb([
            (seed * 53 % 256) as u8 ^ (stripe * 200) as u8,
            (x * 5 + seed * 31) as u8,
            (y * 6 + seed * 17) as u8,
        ])
    })
    .save(path)
    .unwrap();
}

/// `args` after `train gallery` / `train explain`, parsed.
fn command(args: &[&str]) -> Command {
    Cli::try_parse_from(args).unwrap().command.unwrap()
}

/// The class-names file and the common flags: the CAM test model at 64 px.
fn model_flags(dir: &Path) -> Vec<String> {
    let names = dir.join("names.json");
    std::fs::write(&names, serde_json::to_string(&CLASSES).unwrap()).unwrap();
    [
        "--checkpoint",
        fixture("cam_model.pth").to_str().unwrap(),
        "--class-names",
        names.to_str().unwrap(),
        "--image-size",
        "64",
    ]
    .map(String::from)
    .to_vec()
}

fn run_gallery(folder: &Path, out: &Path, flags: &[String]) -> anyhow::Result<train::Gallery> {
    let mut args = vec!["train".to_owned(), "gallery".to_owned(), path(folder)];
    args.extend(flags.iter().cloned());
    args.extend([
        "--output".to_owned(),
        path(out),
        "--batch-size".into(),
        "5".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let Command::Gallery(args) = command(&args) else {
        panic!("gallery")
    };
    train::gallery(&args)
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// The predicted class of each image by `explain`, one image at a time.
fn explained(images: &[PathBuf], flags: &[String], out: &Path) -> Vec<usize> {
    images
        .iter()
        .map(|image| {
            let mut args = vec!["train".to_owned(), "explain".to_owned(), path(image)];
            args.extend(flags.iter().cloned());
            args.extend(["--output".to_owned(), path(out)]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let Command::Explain(args) = command(&args) else {
                panic!("explain")
            };
            train::explain_report(&args).unwrap().images[0].predictions[0].class
        })
        .collect()
}

#[test]
fn a_labelled_folder_gives_right_counts_csv_and_a_filtered_page() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let folder = dir.join("test");
    // Three of the five classes, one nested deeper; a text file and a corrupt JPEG are skipped.
    let mut images = Vec::new();
    for (c, class) in ["apple", "bear", "cat"].iter().enumerate() {
        for i in 0..5 {
            let sub = if i == 4 { "deeper/" } else { "" };
            let image = folder.join(format!("{class}/{sub}{i}.png"));
            write_picture(&image, (c * 5 + i) as u32 * 7 + 3);
            images.push((image, c));
        }
    }
    std::fs::write(folder.join("bear/notes.txt"), "not an image").unwrap();
    std::fs::write(folder.join("cat/broken.jpg"), b"\xff\xd8\xff\xe0 truncated").unwrap();
    images.sort();
    let flags = model_flags(dir);
    let out = dir.join("gallery");
    let mut with_sanity = flags.clone();
    with_sanity.extend(["--sanity".to_owned(), "3".to_owned()]);
    let gallery = run_gallery(&folder, &out, &with_sanity).unwrap();

    assert!(gallery.labelled);
    assert_eq!(gallery.images.len(), 15);
    let skipped: Vec<String> = gallery
        .skipped
        .iter()
        .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped.contains(&"notes.txt".into()) && skipped.contains(&"broken.jpg".into()));

    // Each image's answer is what `explain` says of it alone.
    let paths: Vec<PathBuf> = images.iter().map(|(p, _)| p.clone()).collect();
    let predicted = explained(&paths, &flags, &dir.join("explain"));
    let csv = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 15);
    for (((image, label), row), &expected) in images.iter().zip(&rows).zip(&predicted) {
        let relative = image.strip_prefix(&folder).unwrap().to_str().unwrap();
        assert_eq!(&row[column("path")], relative);
        assert_eq!(&row[column("label")], CLASSES[*label]);
        assert_eq!(&row[column("predicted")], CLASSES[expected], "{relative}");
        // The top-5 column starts with the argmax.
        let top = &row[column("top")];
        assert!(top.starts_with(&format!("{}:", CLASSES[expected])), "{top}");
        let npy = out.join(&row[column("npy")]);
        let bytes = std::fs::read(npy).unwrap();
        let shape = npyz::NpyFile::new(&bytes[..]).unwrap().shape().to_vec();
        assert_eq!(shape, [2, 32, 32]);
    }
    // The predictions spread over several classes, so the counts below mean something.
    let mut distinct = predicted.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 2, "predictions {predicted:?}");

    // The sanity check on 3 of the images: its figure, and its verdicts on the page.
    let cascade = gallery.sanity.as_ref().expect("--sanity 3");
    let names: Vec<&str> = cascade.curves.iter().map(|c| c.explainer).collect();
    assert_eq!(names, ["gradcam", "guided backprop"]);
    assert!(out.join("sanity.png").is_file());

    // TP / FP / FN per class on the page match the counts from explain's answers.
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("<h2>Sanity check</h2>") && page.contains("src=\"sanity.png\""));
    for (c, class) in CLASSES.iter().enumerate() {
        let count = |f: &dyn Fn(usize, usize) -> bool| {
            images
                .iter()
                .zip(&predicted)
                .filter(|((_, l), p)| f(*l, **p))
                .count()
        };
        let tp = count(&|l, p| l == c && p == c);
        let fp = count(&|l, p| l != c && p == c);
        let fn_ = count(&|l, p| l == c && p != c);
        for (outcome, n) in [("tp", tp), ("fp", fp), ("fn", fn_)] {
            let link = format!("#class={class}&amp;outcome={outcome}\">{n}</a>");
            assert!(page.contains(&link), "{class} {outcome} should be {n}");
        }
    }

    // A filtered view in a browser: the wrong answers of the class with most of them.
    let (class, wrong) = (0..3)
        .map(|c| {
            let n = images
                .iter()
                .zip(&predicted)
                .filter(|((_, l), p)| *l == c && **p != c)
                .count();
            (c, n)
        })
        .max_by_key(|&(_, n)| n)
        .unwrap();
    let dom = camwatch_tests::chromium_dom(
        &out.join("index.html"),
        &format!("class={}&outcome=fn", CLASSES[class]),
    );
    let shown = dom.matches("<figure class=\"mistake\"").count();
    assert_eq!(shown, wrong, "FN of {} in the browser", CLASSES[class]);
    assert!(
        dom.contains(&format!("{wrong} of 15 images")),
        "the count line"
    );
}

#[test]
fn an_unlabelled_folder_is_explained_without_labels_and_mixed_folders_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let flags = model_flags(dir);
    // Loose images anywhere below, in folders that name no class.
    let loose = dir.join("loose");
    write_picture(&loose.join("a.png"), 1);
    write_picture(&loose.join("2024-05/b.png"), 2);
    let mut compare = flags.clone();
    compare.push("--compare-layers".to_owned());
    let gallery = run_gallery(&loose, &dir.join("out"), &compare).unwrap();
    assert!(!gallery.labelled);
    // Each layer's map beside the fused one, for the enlarged view.
    assert_eq!(gallery.layers, ["features.13", "features.18"]);
    for layer in &gallery.layers {
        assert!(
            dir.join(format!("out/maps/00001.pred.{layer}.png"))
                .is_file()
        );
    }
    assert_eq!(gallery.images.len(), 2);
    assert!(
        gallery
            .images
            .iter()
            .all(|r| r.label.is_none() && r.loss.is_none())
    );
    let csv = std::fs::read_to_string(dir.join("out/predictions.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and two rows");

    // Class folders beside a folder that names no class: one line that says what to do.
    let mixed = dir.join("mixed");
    write_picture(&mixed.join("apple/a.png"), 1);
    write_picture(&mixed.join("holiday/b.png"), 2);
    let error = format!(
        "{:#}",
        run_gallery(&mixed, &dir.join("out2"), &flags).unwrap_err()
    );
    assert!(
        error.contains("holiday") && error.contains("apple, bear, cat, dog, eel"),
        "{error}"
    );
    assert!(!error.contains('\n'));
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let error = format!(
        "{:#}",
        run_gallery(&empty, &dir.join("out3"), &flags).unwrap_err()
    );
    assert!(error.contains("holds no images"), "{error}");
}

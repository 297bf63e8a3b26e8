//! Every numeric flag of every command refuses values out of its range with one line that
//! names the flag and the range, and exit code 2.

use crate::common::main_command;

#[test]
fn out_of_range_values_get_one_line_and_exit_code_2() {
    let explain = ["train", "explain", "a.png", "--checkpoint", "c.pth"];
    let gallery = ["train", "gallery", "folder", "--checkpoint", "c.pth"];
    let watch = ["train", "watch", "runs", "--data", "folder"];
    let generate = ["train", "generate", "out"];
    let cases: Vec<(&[&str], &str, &str)> = vec![
        (&["train"], "--image-size", "0"),
        (&["train"], "--image-size", "100000"),
        (&["train"], "--batch-size", "0"),
        (&["train"], "--epochs", "0"),
        (&["train"], "--num-classes", "1"),
        (&["train"], "--lr", "-0.1"),
        (&["train"], "--lr", "nan"),
        (&["train"], "--weight-decay", "2"),
        (&["train"], "--width-mult", "0"),
        (&["train"], "--dropout", "1.5"),
        (&["train"], "--val-split", "1"),
        (&["train"], "--crop-scale", "0"),
        (&["train"], "--report-samples", "5000"),
        (&["train"], "--probes", "-1"),
        (&explain, "--image-size", "0"),
        (&explain, "--top-k", "0"),
        (&explain, "--image-weight", "2"),
        (&explain, "--mean", "2,0,0"),
        (&explain, "--std", "0,1,1"),
        (&gallery, "--batch-size", "0"),
        (&gallery, "--top-k", "0"),
        (&gallery, "--sanity", "0"),
        (&gallery, "--image-size", "100000"),
        (&watch, "--poll", "0"),
        (&watch, "--nice", "20"),
        (&watch, "--image-size", "8"),
        (&watch, "--report-samples", "100000"),
        (&generate, "--train-per-class", "0"),
        (&generate, "--val-per-class", "0"),
        (&generate, "--label-noise", "0.9"),
    ];
    for (command, flag, value) in cases {
        let given = format!("{flag}={value}");
        let mut args = command.to_vec();
        args.push(&given);
        let output = main_command(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(
            lines[0].contains(flag) && lines[0].contains(value),
            "{args:?}: {stderr}"
        );
    }
}

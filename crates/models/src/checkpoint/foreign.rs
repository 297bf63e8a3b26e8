//! What a `state_dict` of an architecture camwatch does not run looks like, by its key names,
//! so that the error names it.

/// Key fragments that give a family away, tried in order, with the family's description.
const SIGNATURES: [(&[&str], &str); 11] = [
    (
        &["encoder.layers.", "conv_proj."],
        "a torchvision ViT (`encoder.layers...`)",
    ),
    (
        &["patch_embed.proj.", "blocks.0.attn."],
        "a timm ViT (`patch_embed`, `blocks.N.attn...`)",
    ),
    (
        &["features.1.0.attn."],
        "a torchvision Swin Transformer (`features.N.M.attn...`)",
    ),
    (
        &["stages.0.blocks.0.conv_dw."],
        "a timm ConvNeXt (`stem`, `stages.N.blocks...`)",
    ),
    (
        &["conv_stem.", "blocks.0.0."],
        "a timm EfficientNet or MobileNet (`conv_stem`, `blocks.N.M...`)",
    ),
    (
        &["features.3.squeeze."],
        "a torchvision SqueezeNet (`features.N.squeeze...`)",
    ),
    (
        &["trunk_output.block1."],
        "a torchvision RegNet (`trunk_output.blockN...`)",
    ),
    (
        &["stage2.0.branch"],
        "a torchvision ShuffleNetV2 (`stageN.M.branch...`)",
    ),
    (
        &["layers.3.0.layers."],
        "a torchvision MNASNet (`layers.N.M.layers...`)",
    ),
    (
        &["inception3a."],
        "a torchvision GoogLeNet (`inception3a...`)",
    ),
    (&["Mixed_5b."], "a torchvision Inception v3 (`Mixed_5b...`)"),
];

/// The description of the first family each of whose signature's fragments occurs in some key.
pub(crate) fn describe(keys: &[&str]) -> Option<&'static str> {
    SIGNATURES
        .iter()
        .find(|(fragments, _)| {
            fragments
                .iter()
                .all(|fragment| keys.iter().any(|key| key.contains(fragment)))
        })
        .map(|(_, description)| *description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_told_apart_by_their_keys() {
        let vit = [
            "encoder.layers.encoder_layer_0.ln_1.weight",
            "conv_proj.weight",
        ];
        assert_eq!(describe(&vit), Some(SIGNATURES[0].1));
        let efficientnet = ["conv_stem.weight", "blocks.0.0.conv_dw.weight"];
        assert!(describe(&efficientnet).unwrap().contains("EfficientNet"));
        let squeezenet = ["module.features.3.squeeze.weight"];
        assert!(describe(&squeezenet).unwrap().contains("SqueezeNet"));
        assert_eq!(describe(&["fc.weight"]), None);
    }
}

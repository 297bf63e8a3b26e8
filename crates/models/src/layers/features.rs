//! What the families whose trunk is torchvision's `features` sequence (the MobileNets,
//! EfficientNet) share behind the model interface: their layers' names, the sanity cascade's
//! steps and its re-initialization of the top layers.

/// The layers a CAM taps: `features.0` ... `features.{layers - 1}`.
pub(crate) fn layer_names(layers: usize) -> Vec<String> {
    (0..layers).map(|i| format!("features.{i}")).collect()
}

/// The sanity cascade's steps: `classifier`, then `features.{layers - 1}` down to `features.0`.
pub(crate) fn cascade_steps(layers: usize) -> Vec<String> {
    let layers = layer_names(layers).into_iter().rev();
    std::iter::once("classifier".to_owned())
        .chain(layers)
        .collect()
}

/// Replaces the top `parts - 1` entries of `features` with `fresh`'s (the first part is the
/// classifier, which the caller replaces).
pub(crate) fn refresh_top<F: Clone>(features: &mut [F], fresh: &[F], parts: usize) {
    let top = (features.len() + 1).saturating_sub(parts)..features.len();
    features[top.clone()].clone_from_slice(&fresh[top]);
}

/// The sanity cascade's three methods of [`crate::Classifier`] for a family whose network has
/// `features` and `classifier` fields and a `config()`: the steps from [`cascade_steps`], the
/// top replaced by [`refresh_top`] (and the classifier), a fresh network from its config.
macro_rules! cascade_over_features {
    () => {
        fn cascade_steps(&self) -> Vec<String> {
            $crate::layers::features::cascade_steps(self.features.len())
        }

        fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
            let mut model = self.clone();
            if parts > 0 {
                model.classifier = fresh.classifier.clone();
            }
            $crate::layers::features::refresh_top(&mut model.features, &fresh.features, parts);
            model
        }

        fn fresh(&self, device: &Device) -> Self {
            self.config().init(device)
        }
    };
}
pub(crate) use cascade_over_features;

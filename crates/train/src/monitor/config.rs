//! What the per-epoch monitor shows and measures: its one configuration, which training's and
//! `watch`'s flags fill in and the report reads.

use cam::Method;

use crate::audit::AuditScope;

/// What the per-epoch monitor shows and measures.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Most misclassified validation images per epoch (highest loss first).
    pub samples: usize,
    /// Fixed validation images shown in every epoch.
    pub probes: usize,
    /// The CAM method.
    pub method: Method,
    /// CAM target layers by name; empty for the network's default for the image size.
    pub layers: Vec<String>,
    /// Also score the maps by deletion and insertion AUC.
    pub faithfulness: bool,
    /// Which classes the shortcut audit covers.
    pub audit: AuditScope,
}

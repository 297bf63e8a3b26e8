//! camwatch's integration tests, one binary with a module per capability.

mod cam;
mod checkpoint;
mod common;
mod convnext;
mod data;
mod densenet;
mod diagnosis;
mod efficientnet;
mod explain;
mod flags;
mod gallery;
mod mistakes;
mod mobilenetv3;
mod model;
mod resnet;
mod sanity;
mod shortcut;
mod train;
mod vgg;
mod watch;

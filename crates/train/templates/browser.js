// camwatch's image browsers: filters, sorts, pages and enlarges images from the data a
// data.js script holds. Two pages use it: an epoch page's mistakes browser (epoch-NNN/data.js,
// body data-epoch) and the gallery of a test folder (data.js, body data-gallery). No server:
// plain file:// pages; the view lives in the URL fragment (#true=dots&pred=checker&open=17),
// so it can be shared.
"use strict";

const camwatch = {
  epochs: {},
  /** Where pictures and maps are, relative to the page (see `file`). */
  files: null,
  /** Called by each epoch-NNN/data.js. */
  epoch(data) {
    this.files = data.files;
    this.epochs[data.epoch] = data;
    const waiting = this.waiting[data.epoch];
    delete this.waiting[data.epoch];
    if (waiting) waiting.forEach((done) => done());
  },
  waiting: {},
  /** Called by a gallery's data.js. */
  gallery(data) {
    this.files = data.files;
    this.galleryData = data;
  },
};

// ---- Shared components -------------------------------------------------------------------

const SORTS = {
  loss: ["loss, highest first", (a, b) => b.loss - a.loss],
  p_true: ["p(true), lowest first", (a, b) => a.pt - b.pt],
  p_pred: ["p(predicted), highest first", (a, b) => b.pp - a.pp],
  entropy: ["entropy of the true-class map, highest first", (a, b) => nullLast(a.e, b.e, b.e - a.e)],
  iou: ["IoU with the object, lowest first", (a, b) => nullLast(a.iou, b.iou, a.iou - b.iou)],
  mass: ["map mass on the object, lowest first", (a, b) => nullLast(a.mo, b.mo, a.mo - b.mo)],
  pointing: ["pointing game, misses first", (a, b) => nullLast(a.hit, b.hit, a.hit - b.hit)],
  since: ["wrong since, longest first", (a, b) => nullLast(a.since, b.since, a.since - b.since)],
};

function nullLast(x, y, order) {
  if (x === null && y === null) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return order;
}

/** Image `index`'s picture (`kind` "picture") or its `which` heatmap (`kind` "map"), from the
 * patterns the data script gives. */
function file(kind, index, which) {
  return camwatch.files[kind].replace("{i}", String(index).padStart(5, "0")).replace("{which}", which);
}

function fragment() {
  const state = {};
  for (const part of location.hash.slice(1).split("&")) {
    const [key, value] = part.split("=");
    if (key) state[decodeURIComponent(key)] = decodeURIComponent(value || "");
  }
  return state;
}

function setFragment(state) {
  const parts = Object.entries(state)
    .filter(([, v]) => v !== "" && v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  location.hash = parts.join("&");
}

/** What an epoch page lists: [label, which images]. */
const VIEWS = {
  "": ["misclassified", (im) => im.p !== im.l],
  broken: ["newly broken", (im) => im.ch === "broken"],
  fixed: ["newly fixed", (im) => im.ch === "fixed"],
  mislabeled: ["possibly mislabeled", (im) => im.li === true],
  twin: ["also in training", (im) => im.tw !== undefined],
  right: ["right", (im) => im.p === im.l],
  offobject: ["right, but looking off the object", (im) => im.p === im.l && im.hit === false],
};

/** The images a view shows (see VIEWS) of a class pair, sorted. */
function shown(data, state) {
  const cls = (name) => data.classes.indexOf(name);
  const view = (VIEWS[state.show] || VIEWS[""])[1];
  let images = data.images.filter(view);
  if (state.true) images = images.filter((im) => im.l === cls(state.true));
  if (state.pred) images = images.filter((im) => im.p === cls(state.pred));
  const sort = SORTS[state.sort] ? state.sort : "loss";
  return images.slice().sort(SORTS[sort][1]);
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function image(src, side) {
  return element("img", { src, alt: "image", loading: "lazy", width: side, height: side });
}

/** A picture with a heatmap file laid over it at half opacity. */
function layered(pictureSrc, heatSrc, alt, side) {
  const heat = element("img", { src: heatSrc, alt, loading: "lazy", class: "heat" });
  return element("span", { class: "overlay", style: `width:${side}px;height:${side}px` }, image(pictureSrc, side), heat);
}

/** A titled panel of the enlarged view. */
function panel(title, node) {
  return element("figure", { class: "panel" }, node, element("figcaption", {}, title));
}

/** Rows of [label, value] as the enlarged view's table. */
function numbers(rows) {
  document.getElementById("enlarged-numbers").replaceChildren(
    ...rows.map(([k, v]) => element("tr", {}, element("td", { class: "l" }, k), element("td", {}, v)))
  );
}

/** Fills select `id` with [value, label] pairs; a change sets its key (the id after
 * "filter-") in the fragment, back to the first page, closing the enlarged view. */
function options(id, values) {
  const select = document.getElementById(id);
  if (!select) return;
  for (const [value, label] of values) select.append(element("option", { value }, label));
  select.addEventListener("change", () => setFragment({ ...fragment(), [id.slice(7)]: select.value, page: "", open: "" }));
}

/** Shows the fragment's values in the selects of `keys` (`defaults` where unset). */
function showControls(state, keys, defaults) {
  for (const key of keys) {
    const control = document.getElementById(`filter-${key}`);
    if (control) control.value = state[key] || defaults[key] || "";
  }
}

/** The figure of one listed image; a click enlarges it. */
function listed(index, nodes, text) {
  const figure = element("figure", { class: "mistake", "data-index": index }, ...nodes, element("figcaption", {}, text));
  figure.addEventListener("click", () => setFragment({ ...fragment(), open: index }));
  return figure;
}

function closeButton() {
  document.getElementById("enlarged-close").addEventListener("click", () =>
    setFragment({ ...fragment(), open: "" })
  );
}

// ---- The epoch page's mistakes browser ---------------------------------------------------

function picture(im, side) {
  return image(file("picture", im.i), side);
}

/** The picture with its true- or predicted-class map (`which`) over it, from the record (a run
 * from before the maps moved into the data script has them as files). */
function overlay(data, im, which, side) {
  const bytes = which === "true" ? im.mt : im.mp;
  if (bytes === undefined) {
    const alt = `${which === "true" ? "true" : "predicted"}-class map`;
    return layered(file("picture", im.i), file("map", im.i, which), alt, side);
  }
  return mapCanvas(bytes, data.listed_map_side, im.i, side);
}

function caption(data, im) {
  const name = (c) => data.classes[c];
  const since = im.since !== null ? ` · wrong since epoch ${im.since}` : "";
  const flags = (im.li ? " · possibly mislabeled" : "") + (im.tw !== undefined ? ` · also in training: ${im.tw}` : "");
  return `#${im.i} ${im.f} · ${name(im.l)} → ${name(im.p)} · p(true) ${im.pt.toFixed(2)}` +
    ` · loss ${im.loss.toFixed(2)}${since}${flags}`;
}

function renderList(data, state) {
  const list = document.getElementById("mistakes");
  const images = shown(data, state);
  const what = (VIEWS[state.show] || VIEWS[""])[0];
  document.getElementById("count").textContent =
    `${images.length} ${what} image${images.length === 1 ? "" : "s"}` +
    (state.true ? ` of class ${state.true}` : "") +
    (state.pred ? ` taken for ${state.pred}` : "");
  // The records of the epoch's mistakes and changes hold finer maps; a right answer shows the
  // small true-class map every record holds over its picture.
  list.replaceChildren(
    ...images.map((im) =>
      listed(
        im.i,
        im.p !== im.l || im.ch
          ? [picture(im, 96), overlay(data, im, "true", 96), overlay(data, im, im.p !== im.l ? "pred" : "true", 96)]
          : [picture(im, 96), smallMap(data, im, 96)],
        caption(data, im)
      )
    )
  );
}

/** Loads epoch `n`'s data script once; `done` runs when it is there. */
function loadEpoch(n, done) {
  if (camwatch.epochs[n]) return done();
  if (camwatch.waiting[n]) return camwatch.waiting[n].push(done);
  camwatch.waiting[n] = [done];
  const script = element("script", { src: `../epoch-${String(n).padStart(3, "0")}/data.js` });
  script.onerror = () => camwatch.epoch({ epoch: n, missing: true });
  document.head.append(script);
}

function jet(v) {
  const c = (x) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Image `index`'s picture with an `n`×`n` map (base64 bytes, 255 = highest) over it at half
 * opacity, drawn on a canvas; the map alone where the picture does not load. */
function mapCanvas(encoded, n, index, side) {
  const canvas = element("canvas", { width: side, height: side });
  const context = canvas.getContext("2d");
  const image = new Image();
  const draw = (withPicture) => {
    if (withPicture) context.drawImage(image, 0, 0, side, side);
    const bytes = atob(encoded);
    const small = element("canvas", { width: n, height: n });
    const pixels = small.getContext("2d").createImageData(n, n);
    for (let p = 0; p < n * n; p++) {
      const [r, g, b] = jet(bytes.charCodeAt(p) / 255);
      pixels.data.set([r, g, b, 255], 4 * p);
    }
    small.getContext("2d").putImageData(pixels, 0, 0);
    context.globalAlpha = withPicture ? 0.5 : 1;
    context.imageSmoothingEnabled = true;
    context.drawImage(small, 0, 0, side, side);
  };
  image.onload = () => draw(true);
  image.onerror = () => draw(false);
  image.src = file("picture", index);
  return canvas;
}

/** The picture with the small true-class map every record holds. */
function smallMap(data, im, side) {
  return mapCanvas(im.m, data.map_side, im.i, side);
}

function renderHistory(index, current) {
  const strip = document.getElementById("history");
  strip.replaceChildren();
  for (let n = 1; n <= current; n++) {
    const cell = element("div", { class: "epoch-cell", "data-epoch": n }, `epoch ${n}`);
    strip.append(cell);
    loadEpoch(n, () => {
      const data = camwatch.epochs[n];
      const im = data.missing ? null : data.images[index];
      if (!im) return cell.append(element("div", { class: "note" }, "no data"));
      const right = im.p === im.l;
      cell.append(
        smallMap(data, im, 96),
        element("div", { class: right ? "good" : "bad" },
          `${data.classes[im.p]} (${(right ? im.pt : im.pp).toFixed(2)})`)
      );
    });
  }
}

function renderOpen(data, state) {
  const view = document.getElementById("enlarged");
  const im = state.open !== undefined ? data.images[Number(state.open)] : undefined;
  view.hidden = !im;
  if (!im) return;
  const wrong = im.p !== im.l;
  document.getElementById("enlarged-title").textContent = caption(data, im);
  // The records of the epoch's mistakes and changes hold finer maps; any other image shows the
  // small true-class map every record holds.
  const fine = wrong || im.ch;
  document.getElementById("enlarged-images").replaceChildren(
    ...(fine
      ? [panel("image", picture(im, 288)), panel(`${im.li ? "given" : "true"}: ${data.classes[im.l]}`, overlay(data, im, "true", 288))]
      : [panel(`true: ${data.classes[im.l]} (${data.map_side}×${data.map_side} map)`, smallMap(data, im, 288))]),
    ...(wrong ? [panel(`${im.li ? "suggested" : "predicted"}: ${data.classes[im.p]}`, overlay(data, im, "pred", 288))] : [])
  );
  numbers([
    ["true class", `${data.classes[im.l]} (p ${im.pt.toFixed(3)})`],
    ["predicted", `${data.classes[im.p]} (p ${im.pp.toFixed(3)})`],
    ["loss", im.loss.toFixed(3)],
    ["entropy of the true-class map", im.e === null ? "–" : im.e.toFixed(3)],
    ["IoU with the object (top 20%)", im.iou === null ? "no mask" : im.iou.toFixed(3)],
    ["pointing game", im.hit === null ? "no mask" : im.hit ? "hit" : "miss"],
    ["map mass on the object", im.mo === null ? "no mask" : im.mo.toFixed(3)],
    ...(im.li ? [["label", `possibly wrong: confident learning suggests ${data.classes[im.p]}`]] : []),
    ...(im.tw !== undefined ? [["also in training", im.tw]] : []),
  ]);
  renderHistory(im.i, data.epoch);
}

function renderEpoch() {
  const data = camwatch.epochs[Number(document.body.dataset.epoch)];
  const state = fragment();
  showControls(state, ["true", "pred", "sort", "show"], { sort: "loss" });
  renderList(data, state);
  renderOpen(data, state);
}

function setUpEpoch() {
  const data = camwatch.epochs[Number(document.body.dataset.epoch)];
  if (!data) return;
  const classes = data.classes.map((c) => [c, c]);
  options("filter-true", [["", "any true class"], ...classes]);
  options("filter-pred", [["", "any predicted class"], ...classes]);
  options("filter-show", Object.entries(VIEWS).map(([k, [label]]) => [k, k ? label : "all mistakes"]));
  options("filter-sort", Object.entries(SORTS).map(([k, [label]]) => [k, label]));
  closeButton();
  window.addEventListener("hashchange", renderEpoch);
  renderEpoch();
}

// ---- The gallery of a test folder --------------------------------------------------------

/** Images per gallery page: a folder of any size opens at once. */
const PAGE = 60;

const GALLERY_SORTS = {
  path: ["file path", (a, b) => a.index - b.index],
  confidence: ["confidence, lowest first", (a, b) => a.p_predicted - b.p_predicted],
  confident: ["confidence, highest first", (a, b) => b.p_predicted - a.p_predicted],
  loss: ["loss, highest first", (a, b) => nullLast(a.loss, b.loss, b.loss - a.loss)],
  entropy: ["entropy of the map, highest first", (a, b) => b.map.entropy - a.map.entropy],
  iou: ["IoU with the object, lowest first", (a, b) => nullLast(a.map.iou_top20, b.map.iou_top20, a.map.iou_top20 - b.map.iou_top20)],
  pointing: ["pointing game, misses first", (a, b) => nullLast(a.map.pointing_hit, b.map.pointing_hit, a.map.pointing_hit - b.map.pointing_hit)],
  mass: ["map mass on the object, lowest first", (a, b) => nullLast(a.map.energy_in_mask, b.map.energy_in_mask, a.map.energy_in_mask - b.map.energy_in_mask)],
};

/** Confidence bands: [label, lowest p(predicted), below]. */
const BANDS = {
  low: ["confidence below 0.5", 0, 0.5],
  medium: ["confidence 0.5 to 0.8", 0.5, 0.8],
  high: ["confidence 0.8 to 0.95", 0.8, 0.95],
  top: ["confidence 0.95 and up", 0.95, Infinity],
};

/** Whether image `im` has `outcome` for class `c` (-1: any class). */
function hasOutcome(im, outcome, c) {
  const right = im.label === im.predicted;
  const labelled = im.label !== null;
  const of = (k) => c < 0 || k === c;
  switch (outcome) {
    case "right": return right && (c < 0 || im.label === c || im.predicted === c);
    case "offobject": return right && im.map.pointing_hit === false && (c < 0 || im.label === c);
    case "wrong": return labelled && !right && (c < 0 || im.label === c || im.predicted === c);
    case "tp": return right && of(im.label);
    case "fp": return labelled && !right && of(im.predicted);
    case "fn": return labelled && !right && of(im.label);
    default: return c < 0 || im.label === c || im.predicted === c;
  }
}

/** The gallery images a view shows, sorted. */
function galleryShown(data, state) {
  const c = state.class ? data.classes.indexOf(state.class) : -1;
  const band = BANDS[state.band];
  const images = data.images.filter((im) =>
    hasOutcome(im, state.outcome, c) && (!band || (im.p_predicted >= band[1] && im.p_predicted < band[2]))
  );
  const sort = GALLERY_SORTS[state.sort] ? state.sort : "path";
  return images.sort(GALLERY_SORTS[sort][1]);
}

function galleryPicture(im, side) {
  return image(file("picture", im.index), side);
}

function galleryOverlay(data, im, which, side) {
  const c = which === "true" ? im.label : im.predicted;
  return layered(file("picture", im.index), file("map", im.index, which), `map of ${data.classes[c]}`, side);
}

function galleryCaption(data, im) {
  const truth = im.label === null ? "" : ` · true ${data.classes[im.label]}`;
  return `#${im.index} ${im.path} · ${data.classes[im.predicted]} (${im.p_predicted.toFixed(2)})${truth}`;
}

/** Page links: previous, "page k of n", next. */
function renderPager(id, page, pages) {
  const pager = document.getElementById(id);
  const go = (n, label) => {
    const button = element("button", n < 1 || n > pages ? { disabled: "" } : {}, label);
    button.addEventListener("click", () => setFragment({ ...fragment(), page: n, open: "" }));
    return button;
  };
  pager.replaceChildren(...(pages > 1 ? [go(page - 1, "‹ previous"), ` page ${page} of ${pages} `, go(page + 1, "next ›")] : []));
}

function renderGallery() {
  const data = camwatch.galleryData;
  const state = fragment();
  showControls(state, ["class", "outcome", "band", "sort"], { sort: "path" });
  const images = galleryShown(data, state);
  const pages = Math.max(1, Math.ceil(images.length / PAGE));
  const page = Math.min(pages, Math.max(1, Number(state.page) || 1));
  document.getElementById("count").textContent =
    `${images.length} of ${data.images.length} image${data.images.length === 1 ? "" : "s"}`;
  renderPager("pager-top", page, pages);
  renderPager("pager", page, pages);
  document.getElementById("images").replaceChildren(
    ...images.slice((page - 1) * PAGE, page * PAGE).map((im) => {
      const wrong = im.label !== null && im.label !== im.predicted;
      const nodes = [galleryPicture(im, 96), galleryOverlay(data, im, "pred", 96)];
      if (wrong) nodes.push(galleryOverlay(data, im, "true", 96));
      return listed(im.index, nodes, galleryCaption(data, im));
    })
  );
  renderGalleryOpen(data, state);
}

function renderGalleryOpen(data, state) {
  const view = document.getElementById("enlarged");
  // Indices follow the folder's files, some of which may have failed to decode.
  const im = state.open ? data.images.find((x) => x.index === Number(state.open)) : undefined;
  view.hidden = !im;
  if (!im) return;
  document.getElementById("enlarged-title").textContent = galleryCaption(data, im);
  const name = (c) => data.classes[c];
  document.getElementById("enlarged-images").replaceChildren(
    panel("image", galleryPicture(im, 288)),
    panel(`predicted: ${name(im.predicted)}${data.compare_layers ? " (layers fused)" : ""}`, galleryOverlay(data, im, "pred", 288)),
    ...(im.label === null ? [] : [panel(`true: ${name(im.label)}`, galleryOverlay(data, im, "true", 288))]),
    // With --compare-layers, each layer's predicted-class map on its own scale; the fused one
    // is the predicted-class map above.
    ...(data.compare_layers
      ? data.layers.map((layer) => panel(`${layer}, own scale`, galleryOverlay(data, im, `pred.${layer}`, 192)))
      : [])
  );
  const fixed = (v, digits) => (v === null || v === undefined ? "–" : v.toFixed(digits));
  const m = im.map;
  numbers([
    ["file", im.path],
    ["true class", im.label === null ? "unlabelled" : `${name(im.label)} (p ${fixed(im.p_true, 3)})`],
    ["top classes", im.top.map(([c, p]) => `${name(c)} ${p.toFixed(3)}`).join(", ")],
    ["loss", fixed(im.loss, 3)],
    ["entropy of the predicted-class map", fixed(m.entropy, 3)],
    ["Gini of the predicted-class map", fixed(m.gini, 3)],
    ["IoU with the object (top 20%)", m.iou_top20 === null ? "no mask" : fixed(m.iou_top20, 3)],
    ["pointing game", m.pointing_hit === null ? "no mask" : m.pointing_hit ? "hit" : "miss"],
    ["map mass on the object", m.energy_in_mask === null ? "no mask" : fixed(m.energy_in_mask, 3)],
    ["maps (.npy)", im.npy],
  ]);
}

function setUpGallery() {
  const data = camwatch.galleryData;
  if (!data) return;
  options("filter-class", [["", "any class"], ...data.classes.map((c) => [c, c])]);
  options("filter-outcome", [
    ["", "right and wrong"], ["right", "right"], ["offobject", "right, but looking off the object"], ["wrong", "wrong"],
    ["tp", "TP: of the class, right"], ["fp", "FP: taken for the class"], ["fn", "FN: of the class, missed"],
  ]);
  options("filter-band", [["", "any confidence"], ...Object.entries(BANDS).map(([k, [label]]) => [k, label])]);
  options("filter-sort", Object.entries(GALLERY_SORTS).map(([k, [label]]) => [k, label]));
  closeButton();
  window.addEventListener("hashchange", renderGallery);
  renderGallery();
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.epoch !== undefined) setUpEpoch();
  else if (document.body.dataset.gallery !== undefined) setUpGallery();
});

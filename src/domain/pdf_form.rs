//! A PDF's form (AcroForm): its fields read, filled and written back, and
//! forms made from a list of fields (for a file the server only knows by
//! name, and for edit templates declared in fixtures). `lopdf` reads and
//! writes the file; what a field is, where it sits and how a value goes in
//! is here.
//!
//! Any bytes are read safely: lopdf bounds what a stream inflates to, the
//! field tree is walked with a depth bound and a set of visited objects (a
//! loop of `/Kids` ends), at most `MAX_FIELDS` fields are read, and a panic
//! in the library is caught and reported as a corrupt file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream, dictionary};

/// The most fields read from one file.
pub const MAX_FIELDS: usize = 500;

/// How deep the field tree is walked.
const MAX_DEPTH: usize = 32;

/// The most nodes of the field tree visited, and kids taken from one node.
const MAX_NODES: usize = 10_000;

/// The longest text read from a field (a name, a label, a choice, a value):
/// a string the file shares among many fields costs this, not its length.
pub const MAX_FIELD_TEXT: usize = 1024;

/// The most objects (`N G obj`) a file read here may declare: a real form
/// has a few thousand; lopdf holds each parsed, some 20 times its bytes.
pub const MAX_OBJECTS: usize = 100_000;

/// The most streams a file read here may hold.
pub const MAX_STREAMS: usize = 5_000;

/// What the streams lopdf inflates while loading (object and
/// cross-reference streams) may come to in all, shared out among the
/// file's streams: each may inflate to this over their number, at least
/// `MIN_INFLATED` and at most `MAX_INFLATED` (so at most 80 MiB in all,
/// one stream at a time). A compressed bomb costs no more.
pub const INFLATE_BUDGET: usize = 32 << 20;
const MIN_INFLATED: usize = 16 << 10;
const MAX_INFLATED: usize = 4 << 20;

thread_local! {
    /// Objects kept by the load on this thread, counted by `keep_object`.
    static KEPT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// lopdf's load filter: keeps the first `MAX_OBJECTS` objects (those in
/// object streams too, which the keyword count cannot see) and drops the
/// rest, so a file of millions of tiny objects costs no more than that.
fn keep_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let kept = KEPT.with(|k| {
        k.set(k.get() + 1);
        k.get()
    });
    // lopdf keeps what is returned for an object-stream member, and the
    // object itself for any other: both must be the object.
    (kept <= MAX_OBJECTS).then(|| (id, object.clone()))
}

/// The US Letter page of made forms, in points.
const PAGE: (f32, f32) = (612.0, 792.0);

/// Why a file could not be read as a PDF form, in the API's failure reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfProblem {
    /// `FILE_TYPE_NOT_SUPPORTED`: not a PDF at all.
    NotPdf,
    /// `CORRUPT_FILE`: says it is a PDF, but cannot be read.
    Corrupt,
    /// `CORRUPT_FILE` too: more objects or streams than this server reads.
    TooComplex,
    /// `PASSWORD_PROTECTED_FILE`: encrypted, and no (right) password given.
    PasswordProtected,
}

/// A form field's kind, as the API names it (`extend_edit:field_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Checkbox,
    Radio,
    Dropdown,
    OptionList,
    Signature,
}

impl FieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Radio => "radio",
            FieldKind::Dropdown => "dropdown",
            FieldKind::OptionList => "optionList",
            FieldKind::Signature => "signature",
        }
    }

    /// The kind a declared field names (fixtures, the made form of a schema).
    pub fn parse(name: &str) -> Option<FieldKind> {
        Some(match name {
            "text" => FieldKind::Text,
            "checkbox" => FieldKind::Checkbox,
            "radio" => FieldKind::Radio,
            "dropdown" => FieldKind::Dropdown,
            "optionList" => FieldKind::OptionList,
            "signature" => FieldKind::Signature,
            _ => return None,
        })
    }
}

/// Where one widget of a field is: its page (0-based) and its box with the
/// origin at the page's top left, in points (`[left, top, right, bottom]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub page_index: u32,
    pub bbox: [f32; 4],
    /// A checkbox's or a radio button's "on" appearance (`/Yes`, `/Male`…).
    pub on_state: Option<String>,
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    /// The fully qualified name (`applicant.name`): parents' `/T` joined.
    pub name: String,
    /// The alternate name a form shows a reader (`/TU`), if any.
    pub label: Option<String>,
    pub kind: FieldKind,
    /// Choices: a radio group's "on" states, a list's export values.
    pub options: Vec<String>,
    /// Each choice's display text, beside `options` (the same where none).
    pub option_labels: Vec<String>,
    pub places: Vec<Place>,
    /// Its value now (`/V`), as text; `None` when empty or off.
    pub value: Option<String>,
    id: ObjectId,
}

/// A value to write into a field.
#[derive(Clone, Debug, PartialEq)]
pub enum FillValue {
    Text(String),
    /// A checkbox on or off.
    Check(bool),
    /// A radio group's or a list's choice (one of `options`).
    Choice(String),
}

/// A form read from a file, to read and fill.
pub struct Form {
    doc: Document,
    pub fields: Vec<FormField>,
    pub page_count: u32,
}

/// Runs `work` on the library's reading, a panic in it a corrupt file.
fn guarded<T>(work: impl FnOnce() -> Result<T, PdfProblem>) -> Result<T, PdfProblem> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or(Err(PdfProblem::Corrupt))
}

/// Whether the bytes start as a PDF does (`%PDF-` in the first kilobyte).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
}

/// How many objects and streams the bytes declare, counted by keyword
/// (`obj` after white space; `stream` not after `end`) before any parsing.
fn census(bytes: &[u8]) -> (usize, usize) {
    let white =
        |at: usize| at > 0 && matches!(bytes[at - 1], b' ' | b'\n' | b'\r' | b'\t' | 0x0c | 0);
    let objects = memchr::memmem::find_iter(bytes, b"obj")
        .filter(|at| white(*at))
        .count();
    let streams = memchr::memmem::find_iter(bytes, b"stream")
        .filter(|at| *at < 3 || &bytes[at - 3..*at] != b"end")
        .count();
    (objects, streams)
}

/// Reads the form of a PDF (a PDF without one has no fields).
pub fn open(bytes: &[u8], password: Option<&str>) -> Result<Form, PdfProblem> {
    if !looks_like_pdf(bytes) {
        return Err(PdfProblem::NotPdf);
    }
    let (objects, streams) = census(bytes);
    if objects > MAX_OBJECTS || streams > MAX_STREAMS {
        return Err(PdfProblem::TooComplex);
    }
    let per_stream = (INFLATE_BUDGET / streams.max(1)).clamp(MIN_INFLATED, MAX_INFLATED);
    guarded(|| {
        let options = LoadOptions {
            password: password.map(str::to_owned),
            max_decompressed_size: Some(per_stream),
            filter: Some(keep_object),
            ..LoadOptions::default()
        };
        KEPT.with(|k| k.set(0));
        let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
            lopdf::Error::Decryption(_) => PdfProblem::PasswordProtected,
            other if other.to_string().to_lowercase().contains("password") => {
                PdfProblem::PasswordProtected
            }
            _ => PdfProblem::Corrupt,
        })?;
        if KEPT.with(|k| k.get()) > MAX_OBJECTS {
            return Err(PdfProblem::TooComplex);
        }
        if doc.is_encrypted() {
            return Err(PdfProblem::PasswordProtected);
        }
        let pages = doc.get_pages();
        if pages.is_empty() {
            return Err(PdfProblem::Corrupt);
        }
        let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
        let fields = read_fields(&doc, &pages);
        Ok(Form {
            doc,
            fields,
            page_count,
        })
    })
}

/// An inherited entry of a field: its own, else its parents'.
fn inherited<'a>(doc: &'a Document, mut dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    for _ in 0..MAX_DEPTH {
        if let Ok(value) = dict.get(key) {
            return doc.dereference(value).ok().map(|(_, v)| v);
        }
        let parent = dict.get(b"Parent").ok()?.as_reference().ok()?;
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// A text of the file, at most `MAX_FIELD_TEXT` bytes of it.
fn text_of(doc: &Document, object: &Object) -> Option<String> {
    let (_, object) = doc.dereference(object).ok()?;
    let bytes = match object {
        Object::String(bytes, _) | Object::Name(bytes) => bytes,
        _ => return None,
    };
    // Decoded from a bounded prefix (a UTF-16 code unit is two bytes).
    let cut = &bytes[..bytes.len().min(4 * MAX_FIELD_TEXT)];
    let mut text = match object {
        Object::String(_, format) => {
            lopdf::decode_text_string(&Object::String(cut.to_vec(), *format)).ok()?
        }
        _ => String::from_utf8_lossy(cut).into_owned(),
    };
    if text.len() > MAX_FIELD_TEXT {
        let mut end = MAX_FIELD_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    Some(text)
}

fn number(doc: &Document, object: &Object) -> Option<f32> {
    doc.dereference(object)
        .ok()?
        .1
        .as_float()
        .ok()
        .filter(|n| n.is_finite())
}

/// A page's top left corner (from its `/MediaBox`, inherited), `(0, 792)`
/// when unreadable: the origin of the boxes this module answers.
fn page_origin(doc: &Document, page: ObjectId) -> (f32, f32) {
    let Ok(dict) = doc.get_dictionary(page) else {
        return (0.0, PAGE.1);
    };
    inherited(doc, dict, b"MediaBox")
        .and_then(|b| b.as_array().ok())
        .filter(|b| b.len() == 4)
        .and_then(|b| {
            let (x0, y0) = (number(doc, &b[0])?, number(doc, &b[1])?);
            let (x1, y1) = (number(doc, &b[2])?, number(doc, &b[3])?);
            Some((x0.min(x1), y0.max(y1)))
        })
        .unwrap_or((0.0, PAGE.1))
}

/// The "on" appearance of a button widget: its `/AP /N` name other than `/Off`.
fn on_state(doc: &Document, widget: &Dictionary) -> Option<String> {
    let ap = doc
        .dereference(widget.get(b"AP").ok()?)
        .ok()?
        .1
        .as_dict()
        .ok()?;
    let normal = doc.dereference(ap.get(b"N").ok()?).ok()?.1.as_dict().ok()?;
    normal
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(&k[..k.len().min(MAX_FIELD_TEXT)]).into_owned())
        .find(|k| k != "Off")
}

fn read_fields(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> Vec<FormField> {
    let page_of: HashMap<ObjectId, u32> = pages.iter().map(|(n, id)| (*id, n - 1)).collect();
    // Widgets without `/P` are found in their page's `/Annots`.
    let mut annotated: HashMap<ObjectId, u32> = HashMap::new();
    for (n, id) in pages {
        let annots = doc
            .get_dictionary(*id)
            .ok()
            .and_then(|p| p.get(b"Annots").ok())
            .and_then(|a| doc.dereference(a).ok())
            .and_then(|(_, a)| a.as_array().ok());
        for annot in annots.into_iter().flatten() {
            if let Ok(annot) = annot.as_reference() {
                annotated.insert(annot, n - 1);
            }
        }
    }
    let origins: HashMap<ObjectId, (f32, f32)> = pages
        .values()
        .map(|id| (*id, page_origin(doc, *id)))
        .collect();
    let Some(roots) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_dict().ok())
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_array().ok())
    else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    let mut seen = HashSet::new();
    // (object, parent's name, depth)
    let mut stack: Vec<(ObjectId, String, usize)> = roots
        .iter()
        .rev()
        .filter_map(|r| r.as_reference().ok())
        .map(|id| (id, String::new(), 0))
        .collect();
    let place_of = |id: ObjectId, widget: &Dictionary| -> Option<Place> {
        let page = widget
            .get(b"P")
            .ok()
            .and_then(|p| p.as_reference().ok())
            .filter(|p| page_of.contains_key(p))
            .or_else(|| {
                annotated
                    .get(&id)
                    .and_then(|n| pages.get(&(n + 1)).copied())
            })?;
        let rect = widget.get(b"Rect").ok()?;
        let rect = doc.dereference(rect).ok()?.1.as_array().ok()?;
        if rect.len() != 4 {
            return None;
        }
        let mut r = [0f32; 4];
        for (slot, value) in r.iter_mut().zip(rect) {
            *slot = number(doc, value)?;
        }
        let (left, right) = (r[0].min(r[2]), r[0].max(r[2]));
        let (low, high) = (r[1].min(r[3]), r[1].max(r[3]));
        let (x0, top) = origins.get(&page).copied().unwrap_or((0.0, PAGE.1));
        Some(Place {
            page_index: *page_of.get(&page)?,
            bbox: [left - x0, top - high, right - x0, top - low],
            on_state: on_state(doc, widget),
        })
    };
    let mut visited = 0;
    while let Some((id, parent_name, depth)) = stack.pop() {
        if fields.len() >= MAX_FIELDS || depth > MAX_DEPTH || !seen.insert(id) {
            continue;
        }
        visited += 1;
        if visited > MAX_NODES {
            break;
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue;
        };
        let own = dict.get(b"T").ok().and_then(|t| text_of(doc, t));
        let mut name = match (&own, parent_name.is_empty()) {
            (Some(own), true) => own.clone(),
            (Some(own), false) => format!("{parent_name}.{own}"),
            (None, _) => parent_name.clone(),
        };
        if name.len() > MAX_FIELD_TEXT {
            let mut end = MAX_FIELD_TEXT;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        // Kids not seen before, at most `MAX_FIELDS` of a node.
        let kids: Vec<ObjectId> = dict
            .get(b"Kids")
            .ok()
            .and_then(|k| doc.dereference(k).ok())
            .and_then(|(_, k)| k.as_array().ok())
            .map(|k| {
                let mut unique = HashSet::new();
                k.iter()
                    .filter_map(|k| k.as_reference().ok())
                    .filter(|k| !seen.contains(k) && unique.insert(*k))
                    .take(MAX_FIELDS)
                    .collect()
            })
            .unwrap_or_default();
        // Kids with names of their own are fields; else they are widgets.
        let named_kids = kids
            .iter()
            .any(|k| doc.get_dictionary(*k).is_ok_and(|k| k.has(b"T")));
        if named_kids {
            for kid in kids.into_iter().rev() {
                stack.push((kid, name.clone(), depth + 1));
            }
            continue;
        }
        if own.is_none() {
            continue;
        }
        let kind_name = inherited(doc, dict, b"FT").and_then(|t| t.as_name().ok());
        let flags = inherited(doc, dict, b"Ff")
            .and_then(|f| f.as_i64().ok())
            .unwrap_or(0);
        let kind = match kind_name {
            Some(b"Tx") => FieldKind::Text,
            Some(b"Sig") => FieldKind::Signature,
            Some(b"Btn") if flags & (1 << 16) != 0 => continue, // a push button
            Some(b"Btn") if flags & (1 << 15) != 0 => FieldKind::Radio,
            Some(b"Btn") => FieldKind::Checkbox,
            Some(b"Ch") if flags & (1 << 17) != 0 => FieldKind::Dropdown,
            Some(b"Ch") => FieldKind::OptionList,
            _ => continue,
        };
        let widgets: Vec<(ObjectId, &Dictionary)> = match kids.is_empty() {
            true => vec![(id, dict)],
            false => kids
                .iter()
                .filter(|k| seen.insert(**k))
                .filter_map(|k| Some((*k, doc.get_dictionary(*k).ok()?)))
                .collect(),
        };
        let places: Vec<Place> = widgets
            .iter()
            .filter_map(|(id, w)| place_of(*id, w))
            .collect();
        let (options, option_labels) = match kind {
            FieldKind::Radio | FieldKind::Checkbox => {
                // With `/Opt`, a widget's "on" state is often its index
                // (`/0`, `/1`) and `/Opt` holds each widget's text, in the
                // order of the kids (pdf-lib and many real forms).
                let texts: Vec<Option<String>> = inherited(doc, dict, b"Opt")
                    .and_then(|o| o.as_array().ok())
                    .map(|o| o.iter().take(MAX_FIELDS).map(|t| text_of(doc, t)).collect())
                    .unwrap_or_default();
                let mut states: Vec<String> = Vec::new();
                let mut labels: Vec<String> = Vec::new();
                let mut known = HashSet::new();
                for (k, place) in places.iter().enumerate() {
                    if let Some(s) = &place.on_state
                        && known.insert(s.clone())
                    {
                        let text = texts.get(k).cloned().flatten();
                        labels.push(text.filter(|t| !t.is_empty()).unwrap_or_else(|| s.clone()));
                        states.push(s.clone());
                    }
                }
                (states, labels)
            }
            FieldKind::Dropdown | FieldKind::OptionList => {
                let opt = inherited(doc, dict, b"Opt")
                    .and_then(|o| o.as_array().ok())
                    .map(|o| o.as_slice())
                    .unwrap_or_default();
                opt.iter()
                    .take(MAX_FIELDS)
                    .filter_map(|o| match doc.dereference(o).ok()?.1 {
                        Object::Array(pair) if pair.len() == 2 => {
                            Some((text_of(doc, &pair[0])?, text_of(doc, &pair[1])?))
                        }
                        single => text_of(doc, single).map(|t| (t.clone(), t)),
                    })
                    .unzip()
            }
            _ => (Vec::new(), Vec::new()),
        };
        let value = inherited(doc, dict, b"V")
            .and_then(|v| text_of(doc, v))
            .filter(|v| !v.is_empty() && v != "Off");
        fields.push(FormField {
            name,
            label: dict.get(b"TU").ok().and_then(|t| text_of(doc, t)),
            kind,
            options,
            option_labels,
            places,
            value,
            id,
        });
    }
    fields
}

/// PDF string escapes for a literal in a content stream.
fn literal(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(b'(');
    for c in text.chars() {
        // WinAnsi covers Latin-1; anything else shows as `?` in the
        // appearance (the field's value keeps the text as given).
        let byte = u8::try_from(u32::from(c))
            .ok()
            .filter(|b| *b >= 0x20)
            .unwrap_or(b'?');
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b')');
    out
}

fn helvetica() -> Dictionary {
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    }
}

/// A text widget's appearance: the value in Helvetica, left, centred.
fn text_appearance(value: &str, width: f32, height: f32) -> Stream {
    let size = (height * 0.6).clamp(4.0, 12.0);
    let baseline = ((height - size) / 2.0 + size * 0.22).max(1.0);
    let mut content =
        format!("/Tx BMC q BT /Helv {size:.1} Tf 0 g 2 {baseline:.2} Td ").into_bytes();
    content.extend(literal(value));
    content.extend_from_slice(b" Tj ET Q EMC");
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), width.into(), height.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "Helv" => helvetica() } },
        },
        content,
    )
}

/// A button's "on" appearance: a check mark (ZapfDingbats) in its box.
fn check_appearance(width: f32, height: f32) -> Stream {
    let size = (height.min(width) * 0.8).max(4.0);
    let content = format!(
        "q BT /ZaDb {size:.1} Tf 0 g {:.2} {:.2} Td (4) Tj ET Q",
        (width - size * 0.8) / 2.0,
        (height - size * 0.7) / 2.0
    );
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), width.into(), height.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "ZaDb" => dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "ZapfDingbats",
            } } },
        },
        content.into_bytes(),
    )
}

fn empty_appearance(width: f32, height: f32) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), width.into(), height.into()],
        },
        Vec::new(),
    )
}

impl Form {
    /// Writes `values` (a field's index in `fields` and its value) into
    /// the form, marking every field read-only when `read_only` (the API's
    /// `flattenPdf`: "makes form fields non-editable"); a reader shows the
    /// values (appearances are written, and `/NeedAppearances` set).
    pub fn fill(
        &mut self,
        values: &[(usize, FillValue)],
        read_only: bool,
    ) -> Result<(), PdfProblem> {
        guarded(|| {
            for (index, value) in values {
                let Some(field) = self.fields.get(*index).cloned() else {
                    continue;
                };
                self.fill_one(&field, value);
            }
            if read_only {
                for field in &self.fields {
                    // The flags it inherits too: a radio group's or a combo
                    // box's own flags may be its parent's.
                    let flags = self
                        .doc
                        .get_dictionary(field.id)
                        .ok()
                        .and_then(|d| inherited(&self.doc, d, b"Ff"))
                        .and_then(|f| f.as_i64().ok())
                        .unwrap_or(0);
                    if let Ok(dict) = self.doc.get_dictionary_mut(field.id) {
                        dict.set("Ff", flags | 1);
                    }
                }
            }
            let catalog = self.doc.catalog().map_err(|_| PdfProblem::Corrupt)?;
            if let Ok(form) = catalog.get(b"AcroForm") {
                match form {
                    Object::Reference(id) => {
                        let id = *id;
                        if let Ok(form) = self.doc.get_dictionary_mut(id) {
                            form.set("NeedAppearances", true);
                        }
                    }
                    Object::Dictionary(_) => {
                        let catalog = self.doc.catalog_mut().map_err(|_| PdfProblem::Corrupt)?;
                        if let Ok(Object::Dictionary(form)) = catalog.get_mut(b"AcroForm") {
                            form.set("NeedAppearances", true);
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        })
    }

    fn widget_ids(&self, field: &FormField) -> Vec<ObjectId> {
        let kids = self
            .doc
            .get_dictionary(field.id)
            .ok()
            .and_then(|d| d.get(b"Kids").ok())
            .and_then(|k| k.as_array().ok())
            .map(|k| {
                k.iter()
                    .filter_map(|k| k.as_reference().ok())
                    .take(MAX_FIELDS)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        match kids.is_empty() {
            true => vec![field.id],
            false => kids,
        }
    }

    fn fill_one(&mut self, field: &FormField, value: &FillValue) {
        let widgets = self.widget_ids(field);
        let set_field = |doc: &mut Document, key: &str, object: Object| {
            if let Ok(dict) = doc.get_dictionary_mut(field.id) {
                dict.set(key, object);
            }
        };
        match (field.kind, value) {
            (
                FieldKind::Checkbox | FieldKind::Radio,
                FillValue::Check(_) | FillValue::Choice(_),
            ) => {
                let wanted: Option<String> = match value {
                    FillValue::Check(true) => field.options.first().cloned().or(Some("Yes".into())),
                    FillValue::Choice(choice) => Some(choice.clone()),
                    _ => None,
                };
                set_field(
                    &mut self.doc,
                    "V",
                    Object::Name(wanted.clone().unwrap_or_else(|| "Off".into()).into_bytes()),
                );
                for widget in widgets {
                    let state = on_state(
                        &self.doc,
                        self.doc
                            .get_dictionary(widget)
                            .unwrap_or(&Dictionary::new()),
                    );
                    let shown = match (&state, &wanted) {
                        (Some(s), Some(w)) if s == w => s.clone(),
                        _ => "Off".into(),
                    };
                    if let Ok(dict) = self.doc.get_dictionary_mut(widget) {
                        dict.set("AS", Object::Name(shown.into_bytes()));
                    }
                }
            }
            (_, value) => {
                let text = match value {
                    FillValue::Text(t) | FillValue::Choice(t) => t.clone(),
                    FillValue::Check(b) => b.to_string(),
                };
                set_field(&mut self.doc, "V", lopdf::text_string(&text));
                if field.kind == FieldKind::Signature {
                    return;
                }
                for widget in widgets {
                    let Some((w, h)) = self.widget_size(widget) else {
                        continue;
                    };
                    let stream = self.doc.add_object(text_appearance(&text, w, h));
                    if let Ok(dict) = self.doc.get_dictionary_mut(widget) {
                        dict.set("AP", dictionary! { "N" => stream });
                    }
                }
            }
        }
    }

    fn widget_size(&self, widget: ObjectId) -> Option<(f32, f32)> {
        let rect = self.doc.get_dictionary(widget).ok()?.get(b"Rect").ok()?;
        let rect = rect.as_array().ok()?;
        if rect.len() != 4 {
            return None;
        }
        let n = |i: usize| rect[i].as_float().ok().filter(|v| v.is_finite());
        Some(((n(2)? - n(0)?).abs(), (n(3)? - n(1)?).abs()))
    }

    /// The file's bytes as it is now.
    pub fn save(mut self) -> Result<Vec<u8>, PdfProblem> {
        guarded(|| {
            let mut out = Vec::new();
            self.doc
                .save_to(&mut out)
                .map_err(|_| PdfProblem::Corrupt)?;
            Ok(out)
        })
    }
}

/// The most choices a made radio group shows (one row of buttons).
pub const MAX_RADIO_CHOICES: usize = 6;

/// A field of a form to make.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    /// A radio group's or a list's choices (export values).
    pub options: Vec<String>,
}

/// Makes a PDF with a form of `fields`: under a title, one row per field
/// (its label, then its widget; a radio group one button per choice),
/// eighteen rows a page, on as many Letter pages as it takes.
pub fn make_form(title: &str, fields: &[FieldSpec]) -> Vec<u8> {
    const ROWS: usize = 18;
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(helvetica());
    let mut page_ids = Vec::new();
    let mut field_ids = Vec::new();
    let chunks: Vec<&[FieldSpec]> = match fields.is_empty() {
        true => vec![&[]],
        false => fields.chunks(ROWS).collect(),
    };
    for (page_number, chunk) in chunks.iter().enumerate() {
        let page_id = doc.new_object_id();
        let mut content = String::new();
        let mut annots = Vec::new();
        let heading = match page_number {
            0 => title.to_owned(),
            n => format!("{title} (page {})", n + 1),
        };
        content.push_str("BT /F1 16 Tf 54 740 Td ");
        content.push_str(&String::from_utf8_lossy(&literal(&heading)));
        content.push_str(" Tj ET\n");
        for (row, spec) in chunk.iter().enumerate() {
            let y = 700.0 - 36.0 * row as f32;
            content.push_str(&format!("BT /F1 10 Tf 54 {:.1} Td ", y + 6.0));
            content.push_str(&String::from_utf8_lossy(&literal(&spec.label)));
            content.push_str(" Tj ET\n");
            // A row holds six radio buttons; a longer list is a dropdown.
            let kind = match spec.kind {
                FieldKind::Radio if spec.options.len() > MAX_RADIO_CHOICES => FieldKind::Dropdown,
                kind => kind,
            };
            let field = match kind {
                FieldKind::Radio => {
                    let parent = doc.new_object_id();
                    let mut kids = Vec::new();
                    for (i, option) in spec.options.iter().enumerate() {
                        let x = 250.0 + 90.0 * i as f32;
                        content.push_str(&format!(
                            "BT /F1 9 Tf {:.1} {:.1} Td ",
                            x + 20.0,
                            y + 6.0
                        ));
                        content.push_str(&String::from_utf8_lossy(&literal(option)));
                        content.push_str(" Tj ET\n");
                        let on = doc.add_object(check_appearance(16.0, 16.0));
                        let off = doc.add_object(empty_appearance(16.0, 16.0));
                        let kid = doc.add_object(dictionary! {
                            "Type" => "Annot",
                            "Subtype" => "Widget",
                            "Parent" => parent,
                            "P" => page_id,
                            "Rect" => vec![x.into(), y.into(), (x + 16.0).into(), (y + 16.0).into()],
                            "MK" => dictionary! { "BC" => vec![0.into()] },
                            "AS" => "Off",
                            "AP" => dictionary! { "N" => dictionary! {
                                option_name(option) => on, "Off" => off,
                            } },
                        });
                        kids.push(Object::Reference(kid));
                        annots.push(Object::Reference(kid));
                    }
                    doc.objects.insert(
                        parent,
                        Object::Dictionary(dictionary! {
                            "FT" => "Btn",
                            "Ff" => (1i64 << 15) | (1 << 14),
                            "T" => lopdf::text_string(&spec.name),
                            "TU" => lopdf::text_string(&spec.label),
                            "V" => "Off",
                            "Kids" => kids,
                        }),
                    );
                    parent
                }
                kind => {
                    let (width, height) = match kind {
                        FieldKind::Checkbox => (16.0, 16.0),
                        FieldKind::Signature => (250.0, 28.0),
                        _ => (250.0, 20.0),
                    };
                    let mut dict = dictionary! {
                        "Type" => "Annot",
                        "Subtype" => "Widget",
                        "P" => page_id,
                        "Rect" => vec![250.into(), y.into(), (250.0 + width).into(), (y + height).into()],
                        "T" => lopdf::text_string(&spec.name),
                        "TU" => lopdf::text_string(&spec.label),
                        "MK" => dictionary! { "BC" => vec![0.into()] },
                    };
                    match kind {
                        FieldKind::Checkbox => {
                            let on = doc.add_object(check_appearance(width, height));
                            let off = doc.add_object(empty_appearance(width, height));
                            dict.set("FT", "Btn");
                            dict.set("V", "Off");
                            dict.set("AS", "Off");
                            dict.set(
                                "AP",
                                dictionary! { "N" => dictionary! { "Yes" => on, "Off" => off } },
                            );
                        }
                        FieldKind::Signature => dict.set("FT", "Sig"),
                        FieldKind::Dropdown | FieldKind::OptionList => {
                            dict.set("FT", "Ch");
                            if kind == FieldKind::Dropdown {
                                dict.set("Ff", 1i64 << 17);
                            }
                            dict.set(
                                "Opt",
                                spec.options
                                    .iter()
                                    .map(|o| lopdf::text_string(o))
                                    .collect::<Vec<_>>(),
                            );
                            dict.set("DA", Object::string_literal("/Helv 10 Tf 0 g"));
                        }
                        _ => {
                            dict.set("FT", "Tx");
                            dict.set("DA", Object::string_literal("/Helv 10 Tf 0 g"));
                        }
                    }
                    let id = doc.add_object(dict);
                    annots.push(Object::Reference(id));
                    id
                }
            };
            field_ids.push(Object::Reference(field));
        }
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        doc.objects.insert(
            page_id,
            Object::Dictionary(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), PAGE.0.into(), PAGE.1.into()],
                "Contents" => content_id,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
                "Annots" => annots,
            }),
        );
        page_ids.push(Object::Reference(page_id));
    }
    let count = page_ids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => page_ids, "Count" => count }),
    );
    let acro_form = doc.add_object(dictionary! {
        "Fields" => field_ids,
        "DA" => Object::string_literal("/Helv 10 Tf 0 g"),
        "DR" => dictionary! { "Font" => dictionary! { "Helv" => font } },
    });
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "AcroForm" => acro_form,
    });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .expect("writing to memory does not fail");
    out
}

/// A choice's appearance name: the choice itself (lopdf escapes what a
/// name cannot hold), but never `Off`, which means "none".
fn option_name(option: &str) -> String {
    match option {
        "" => "Option".into(),
        "Off" => "Off_".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<FieldSpec> {
        let spec = |name: &str, kind, options: &[&str]| FieldSpec {
            name: name.into(),
            label: name.replace('_', " "),
            kind,
            options: options.iter().map(|o| o.to_string()).collect(),
        };
        vec![
            spec("full_name", FieldKind::Text, &[]),
            spec("agree", FieldKind::Checkbox, &[]),
            spec("plan", FieldKind::Radio, &["Basic", "Pro"]),
            spec("state", FieldKind::Dropdown, &["CA", "NY"]),
            spec("signature", FieldKind::Signature, &[]),
        ]
    }

    #[test]
    fn a_made_form_reads_back_with_its_fields_places_and_options() {
        let bytes = make_form("Application", &specs());
        let form = open(&bytes, None).unwrap();
        assert_eq!(form.page_count, 1);
        let names: Vec<(&str, FieldKind)> = form
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("full_name", FieldKind::Text),
                ("agree", FieldKind::Checkbox),
                ("plan", FieldKind::Radio),
                ("state", FieldKind::Dropdown),
                ("signature", FieldKind::Signature),
            ]
        );
        assert_eq!(form.fields[0].places[0].bbox, [250.0, 72.0, 500.0, 92.0]);
        assert_eq!(form.fields[1].options, ["Yes"]);
        assert_eq!(form.fields[2].options, ["Basic", "Pro"]);
        assert_eq!(form.fields[2].places.len(), 2);
        assert_eq!(form.fields[3].options, ["CA", "NY"]);
        assert!(form.fields.iter().all(|f| f.value.is_none()));
    }

    #[test]
    fn filled_values_read_back_and_read_only_marks_every_field() {
        let mut form = open(&make_form("Application", &specs()), None).unwrap();
        form.fill(
            &[
                (0, FillValue::Text("Jane Doe".into())),
                (1, FillValue::Check(true)),
                (2, FillValue::Choice("Pro".into())),
                (3, FillValue::Choice("NY".into())),
            ],
            true,
        )
        .unwrap();
        let bytes = form.save().unwrap();
        let again = open(&bytes, None).unwrap();
        let values: Vec<Option<&str>> = again.fields.iter().map(|f| f.value.as_deref()).collect();
        assert_eq!(
            values,
            [Some("Jane Doe"), Some("Yes"), Some("Pro"), Some("NY"), None]
        );
        let doc = Document::load_mem(&bytes).unwrap();
        for field in &again.fields {
            let flags = doc.get_dictionary(field.id).unwrap().get(b"Ff").unwrap();
            assert_eq!(flags.as_i64().unwrap() & 1, 1, "{}", field.name);
        }
    }

    #[test]
    fn what_is_not_a_readable_pdf_says_why() {
        assert_eq!(open(b"hello", None).err(), Some(PdfProblem::NotPdf));
        assert_eq!(
            open(b"%PDF-1.7\n garbage", None).err(),
            Some(PdfProblem::Corrupt)
        );
        let plain = make_form("Empty", &[]);
        assert!(open(&plain, None).unwrap().fields.is_empty());
        let mut many = b"%PDF-1.4\n".to_vec();
        for i in 0..=MAX_OBJECTS {
            many.extend_from_slice(format!("{i} 0 obj null endobj\n").as_bytes());
        }
        assert_eq!(open(&many, None).err(), Some(PdfProblem::TooComplex));
        assert_eq!(
            census(b"1 0 obj\n<<>>stream\nx\nendstream endobj 2 0 obj"),
            (2, 1)
        );
    }

    #[test]
    fn boxes_are_from_the_top_left_of_an_offset_media_box() {
        let mut doc = Document::load_mem(&make_form("Offset", &specs()[..1])).unwrap();
        let pages = doc.get_pages();
        let page = pages[&1];
        doc.get_dictionary_mut(page).unwrap().set(
            "MediaBox",
            vec![100.into(), 100.into(), 712.into(), 892.into()],
        );
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let form = open(&bytes, None).unwrap();
        // The widget at [250 700 500 720]: 150 from the left edge (100),
        // 172 below the top (892).
        assert_eq!(form.fields[0].places[0].bbox, [150.0, 172.0, 400.0, 192.0]);
    }

    #[test]
    fn objects_hidden_in_object_streams_are_counted_too() {
        let mut doc = Document::load_mem(&make_form("Many", &specs()[..1])).unwrap();
        for i in 0..=MAX_OBJECTS {
            doc.add_object(Object::Integer(i as i64));
        }
        let mut bytes = Vec::new();
        let options = lopdf::SaveOptions::builder()
            .use_object_streams(true)
            .build();
        doc.save_with_options(&mut bytes, options).unwrap();
        assert!(
            census(&bytes).0 < MAX_OBJECTS,
            "the keyword count cannot see them"
        );
        assert_eq!(open(&bytes, None).err(), Some(PdfProblem::TooComplex));
    }

    #[test]
    fn a_loop_of_kids_ends() {
        let mut doc = Document::with_version("1.7");
        let a = doc.new_object_id();
        let b = doc.new_object_id();
        doc.objects.insert(a, Object::Dictionary(dictionary! { "T" => Object::string_literal("a"), "Kids" => vec![Object::Reference(b)] }));
        doc.objects.insert(b, Object::Dictionary(dictionary! { "T" => Object::string_literal("b"), "Kids" => vec![Object::Reference(a)] }));
        let page = doc.add_object(dictionary! { "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()] });
        let pages = doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1 });
        if let Ok(p) = doc.get_dictionary_mut(page) {
            p.set("Parent", pages);
        }
        let form = doc.add_object(dictionary! { "Fields" => vec![Object::Reference(a)] });
        let catalog = doc
            .add_object(dictionary! { "Type" => "Catalog", "Pages" => pages, "AcroForm" => form });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        assert!(open(&bytes, None).unwrap().fields.is_empty());
    }
}

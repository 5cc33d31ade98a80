//! Checks on the types written in fields and ids: they exist, and each is usable where it is written.

use super::{did_you_mean, type_refs, type_text, walk_type, Check};
use crate::{
    diagnostics::Diagnostic,
    index::Index,
    model::{Builtin, Field, TypeDef, TypeKind, TypeRef},
};

/// The rules on types.
pub(super) const CHECKS: &[Check] = &[
    check_unknown_types,
    check_nested_options,
    check_map_keys,
    check_recursive_types,
    check_state_defaults,
    check_id_types,
];

/// Names from Rust and other languages that users reach for, and what the schema language says instead.
const FOREIGN_TYPES: [(&str, &str); 17] = [
    ("Vec", "a list is written `[T]`, e.g. `[String]`"),
    ("List", "a list is written `[T]`, e.g. `[String]`"),
    ("Option", "an optional value is written `T?`, e.g. `String?`"),
    ("HashMap", "a map is written `Map<K, V>`, e.g. `Map<String, u64>`"),
    ("BTreeMap", "a map is written `Map<K, V>`, e.g. `Map<String, u64>`"),
    ("Map", "a map names its key and value types, e.g. `Map<String, u64>`"),
    ("str", "did you mean `String`?"),
    ("DateTime", "did you mean `Timestamp`?"),
    ("usize", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("isize", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u8", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u16", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u128", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i8", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i16", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i128", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("f32", "the floating-point type is `f64`"),
];

// Every name used as a type is a built-in, a declared `type` or a declared `enum`.
pub(super) fn check_unknown_types(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let candidates: Vec<&str> = Builtin::ALL
        .iter()
        .map(|builtin| builtin.keyword())
        .chain(schema.types.iter().map(|def| def.name.name.as_str()))
        .chain(schema.enums.iter().map(|def| def.name.name.as_str()))
        .collect();
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Named(name) = &ty.kind else { return };
            if index.is_named_type(name) {
                return;
            }
            let help = if let Some(kind) = index.kind_of(name) {
                Some(format!(
                    "`{name}` is {}; a field's type is a built-in type, a `type` or an `enum`",
                    kind.with_article()
                ))
            } else if let Some((_, help)) = FOREIGN_TYPES.iter().find(|(foreign, _)| foreign == name) {
                Some((*help).to_owned())
            } else {
                did_you_mean(name, candidates.iter().copied()).map(|close| format!("did you mean `{close}`?"))
            };
            let diagnostic = Diagnostic::error(
                "factum::unknown-type",
                format!("unknown type `{name}`"),
                ty.span,
                "not a built-in type, nor a declared `type` or `enum`",
            );
            diagnostics.push(match help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
        });
    }
}

// `T??` would be an option of an option, which JSON cannot tell from `T?`: one `?` at a time.
pub(super) fn check_nested_options(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Option(inner) = &ty.kind else { return };
            // Report `T???` once, at its outermost option.
            if !matches!(inner.kind, TypeKind::Option(_)) || outer_is_option_of(outer, ty) {
                return;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::nested-option",
                    format!("`{}` is an option of an option", type_text(ty)),
                    ty.span,
                    "more than one `?`",
                )
                .with_help(format!("one `?` is enough: `{}?`", type_text(strip_options(ty)))),
            );
        });
    }
}

/// Whether `ty` sits directly inside an option within `outer`.
fn outer_is_option_of(outer: &TypeRef, ty: &TypeRef) -> bool {
    let mut parent_is_option = false;
    walk_type(outer, &mut |candidate| {
        if let TypeKind::Option(inner) = &candidate.kind {
            if std::ptr::eq(inner.as_ref(), ty) {
                parent_is_option = true;
            }
        }
    });
    parent_is_option
}

/// The type under all its `?`s.
fn strip_options(mut ty: &TypeRef) -> &TypeRef {
    while let TypeKind::Option(inner) = &ty.kind {
        ty = inner;
    }
    ty
}

// A map's keys are stored as JSON object keys, so they must have an exact text form: `String`, an integer, `Uuid`,
// `Date` or an enum.
pub(super) fn check_map_keys(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Map(key, _) = &ty.kind else { return };
            let valid = match &key.kind {
                TypeKind::Builtin(builtin) => matches!(
                    builtin,
                    Builtin::String
                        | Builtin::I32
                        | Builtin::I64
                        | Builtin::U32
                        | Builtin::U64
                        | Builtin::Uuid
                        | Builtin::Date
                ),
                // An unknown name is reported as an unknown type, not twice.
                TypeKind::Named(name) => index.type_def(name).is_none(),
                TypeKind::List(_) | TypeKind::Option(_) | TypeKind::Map(..) => false,
            };
            if valid {
                return;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::invalid-map-key",
                    format!("`{}` cannot be a map key", type_text(key)),
                    key.span,
                    "not a key type",
                )
                .with_help("a map key is `String`, an integer (`i32`, `i64`, `u32`, `u64`), `Uuid`, `Date` or an enum"),
            );
        });
    }
}

// A `type` may not contain itself, directly or through other types, except through a list or a map: the Rust
// struct would have infinite size (an option does not help: `Option<T>` holds a `T`).
pub(super) fn check_recursive_types(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let graph = HoldsGraph::new(index);
    let mut reported = vec![false; schema.types.len()];
    for start in 0..schema.types.len() {
        if reported[start] || !graph.is_cyclic(start) {
            continue;
        }
        let cycle = graph.shortest_cycle(start);
        let Some(&(first_owner, first_field)) = cycle.first() else { continue };
        cycle.iter().for_each(|(owner, _)| reported[*owner] = true);
        let (first_owner, first_field) = (&schema.types[first_owner], &schema.types[first_owner].fields[first_field]);
        let steps: Vec<(&TypeDef, &Field)> =
            cycle.iter().map(|(owner, field)| (&schema.types[*owner], &schema.types[*owner].fields[*field])).collect();
        let names: Vec<String> = steps.iter().map(|(owner, _)| format!("`{}`", owner.name.name)).collect();
        let message = if steps.len() == 1 {
            format!("recursive type `{}` has infinite size", first_owner.name.name)
        } else {
            format!("recursive types {} have infinite size", super::and_list(&names))
        };
        let mut diagnostic = Diagnostic::error(
            "factum::recursive-type",
            message,
            first_field.ty.span,
            contains_label(first_owner, first_field),
        );
        for (owner, field) in &steps[1..] {
            diagnostic = diagnostic.with_label(field.ty.span, contains_label(owner, field));
        }
        let example = format!("{}: [{}]", first_field.name.name, type_text(strip_options(&first_field.ty)));
        diagnostics.push(diagnostic.with_help(format!("put the recursion behind a list or a map, e.g. `{example}`")));
    }
}

/// "`Node` contains itself here", "`Person` contains `Address` here".
fn contains_label(owner: &TypeDef, field: &Field) -> String {
    let contained = type_text(strip_options(&field.ty));
    if contained == owner.name.name {
        format!("`{contained}` contains itself here")
    } else {
        format!("`{}` contains `{contained}` here", owner.name.name)
    }
}

/// Which record types hold which inline (directly or inside options, not in a list or map), with the strongly
/// connected components of that graph: a type is recursive exactly when its component has a cycle. Building it
/// and finding the components is linear in the number of types and fields.
struct HoldsGraph {
    /// Per type, `(held type, field index)` for each field that holds a record inline.
    edges: Vec<Vec<(usize, usize)>>,
    /// Per type, its component.
    component: Vec<usize>,
    /// Per component, how many types it has.
    sizes: Vec<usize>,
}

impl HoldsGraph {
    fn new(index: &Index<'_>) -> Self {
        let edges: Vec<Vec<(usize, usize)>> = index
            .schema
            .types
            .iter()
            .map(|def| {
                def.fields
                    .iter()
                    .enumerate()
                    .filter_map(|(field_index, field)| Some((held_directly(index, &field.ty)?, field_index)))
                    .collect()
            })
            .collect();
        let component = strongly_connected(&edges);
        let mut sizes = vec![0; edges.len()];
        component.iter().for_each(|component| sizes[*component] += 1);
        HoldsGraph { edges, component, sizes }
    }

    /// Whether the type `node` holds itself, directly or through others.
    fn is_cyclic(&self, node: usize) -> bool {
        self.sizes[self.component[node]] > 1 || self.edges[node].iter().any(|(target, _)| *target == node)
    }

    /// The shortest chain of fields leading from the cyclic type `start` back to itself, as (type, field) steps: a
    /// breadth-first search within its component, remembering how each type was first reached.
    fn shortest_cycle(&self, start: usize) -> Vec<(usize, usize)> {
        let mut reached: Vec<(usize, Option<(usize, usize)>)> = vec![(start, None)];
        let mut seen = std::collections::HashSet::from([start]);
        let mut next = 0;
        while next < reached.len() {
            let (owner, _) = reached[next];
            for &(target, field) in &self.edges[owner] {
                if target == start {
                    let mut cycle = vec![(owner, field)];
                    let mut at = next;
                    while let (_, Some((previous, via))) = reached[at] {
                        cycle.push((reached[previous].0, via));
                        at = previous;
                    }
                    cycle.reverse();
                    return cycle;
                }
                if self.component[target] == self.component[start] && seen.insert(target) {
                    reached.push((target, Some((next, field))));
                }
            }
            next += 1;
        }
        Vec::new()
    }
}

/// Tarjan's strongly connected components, without recursion (a chain of thousands of types must not exhaust the
/// stack): the component of each node.
fn strongly_connected(edges: &[Vec<(usize, usize)>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    struct Walk {
        order: Vec<usize>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        /// The depth-first path: each node with the position of its next edge to follow.
        calls: Vec<(usize, usize)>,
        next_order: usize,
    }
    impl Walk {
        fn open(&mut self, node: usize) {
            self.order[node] = self.next_order;
            self.low[node] = self.next_order;
            self.next_order += 1;
            self.stack.push(node);
            self.on_stack[node] = true;
            self.calls.push((node, 0));
        }
    }
    let count = edges.len();
    let mut walk = Walk {
        order: vec![UNSEEN; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        calls: Vec::new(),
        next_order: 0,
    };
    let mut component = vec![UNSEEN; count];
    let mut components = 0;
    for root in 0..count {
        if walk.order[root] != UNSEEN {
            continue;
        }
        walk.open(root);
        while let Some(&(node, edge)) = walk.calls.last() {
            if let Some(&(target, _)) = edges[node].get(edge) {
                if let Some(call) = walk.calls.last_mut() {
                    call.1 += 1;
                }
                if walk.order[target] == UNSEEN {
                    walk.open(target);
                } else if walk.on_stack[target] {
                    walk.low[node] = walk.low[node].min(walk.order[target]);
                }
                continue;
            }
            walk.calls.pop();
            if let Some(&(parent, _)) = walk.calls.last() {
                walk.low[parent] = walk.low[parent].min(walk.low[node]);
            }
            if walk.low[node] == walk.order[node] {
                while let Some(member) = walk.stack.pop() {
                    walk.on_stack[member] = false;
                    component[member] = components;
                    if member == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

/// The record type (by index) a field of type `ty` holds inline (itself or inside options), if any.
fn held_directly(index: &Index<'_>, ty: &TypeRef) -> Option<usize> {
    match &strip_options(ty).kind {
        TypeKind::Named(name) => index.type_index(name),
        _ => None,
    }
}

// A state starts from its default, so each state field needs one: an enum has none (there is no natural first
// variant), and neither has a `type` that holds a non-optional enum, directly or through other types.
pub(super) fn check_state_defaults(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for aggregate in &schema.aggregates {
        for field in &aggregate.state {
            let Some(path) = index.no_default_path(&field.ty) else { continue };
            let label = match path.as_slice() {
                [] => format!("`{}` is an enum, which has no default", type_text(&field.ty)),
                [(owner, first), ..] => {
                    let mut chain = format!("{owner}.{first}");
                    for (_, step) in &path[1..] {
                        chain.push('.');
                        chain.push_str(step);
                    }
                    format!("`{owner}` has no default: `{chain}` is an enum")
                }
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::state-field-without-default",
                    format!(
                        "state field `{}` of aggregate `{}` has no default value",
                        field.name.name, aggregate.name.name
                    ),
                    field.ty.span,
                    label,
                )
                .with_help(format!("the state starts from its default; make it optional: `{}?`", type_text(&field.ty))),
            );
        }
    }
}

// An aggregate's id is a stream key: a `String`, a `Uuid` or an integer (`i64`, `u64`, `i32`, `u32`).
pub(super) fn check_id_types(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for aggregate in &schema.aggregates {
        let id = &aggregate.id;
        let valid = match &id.kind {
            TypeKind::Builtin(builtin) => {
                matches!(
                    builtin,
                    Builtin::String | Builtin::Uuid | Builtin::I64 | Builtin::U64 | Builtin::I32 | Builtin::U32
                )
            }
            // An unknown name is reported as an unknown type, not twice.
            TypeKind::Named(name) => index.type_def(name).is_none() && index.enum_def(name).is_none(),
            TypeKind::List(_) | TypeKind::Option(_) | TypeKind::Map(..) => false,
        };
        if valid {
            continue;
        }
        diagnostics.push(
            Diagnostic::error(
                "factum::invalid-id-type",
                format!("`{}` cannot be the id of aggregate `{}`", type_text(id), aggregate.name.name),
                id.span,
                "not an id type",
            )
            .with_help("an aggregate's id is `String`, `Uuid`, `i64`, `u64`, `i32` or `u32`"),
        );
    }
}

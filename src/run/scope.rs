//! Where step values live while a run is going: frames for loop iterations and called
//! workflows, and the [`Env`] that expressions read through.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::args::default_value;
use crate::ir::eval::Env;
use crate::ir::{BlockKind, Step, StepIdx, StepKind, Type, Value, Workflow};

use super::event::Status;

/// Step values visible at some point of a run. A `repeat` iteration writes into its
/// enclosing frame's map (outside the loop a step is seen as its last iteration); a `for`
/// iteration gets a map of its own (its steps are not visible outside it).
pub struct Frame {
    values: Rc<RefCell<HashMap<StepIdx, Value>>>,
    vars: HashMap<String, Value>,
    parent: Option<Rc<Frame>>,
    /// Appended to the id of every step run in this frame: `[2]`, `[1][3]`.
    pub suffix: String,
}

impl Frame {
    pub fn root() -> Rc<Frame> {
        Rc::new(Frame { values: Rc::default(), vars: HashMap::new(), parent: None, suffix: String::new() })
    }

    /// An iteration of a `repeat`: same values, its own suffix.
    pub fn repeat_iteration(parent: &Rc<Frame>, index: u64) -> Rc<Frame> {
        Rc::new(Frame {
            values: parent.values.clone(),
            vars: HashMap::new(),
            parent: Some(parent.clone()),
            suffix: format!("{}[{index}]", parent.suffix),
        })
    }

    /// An iteration of a `for`: values of its own, the loop variable bound, and its index
    /// (from 0, one less than the `[index]` of its step ids) when the loop names one.
    pub fn for_iteration(parent: &Rc<Frame>, index: u64, var: &str, value: Value, position: Option<&str>) -> Rc<Frame> {
        let mut vars = HashMap::from([(var.to_owned(), value)]);
        if let Some(position) = position {
            vars.insert(position.to_owned(), Value::Int(i64::try_from(index - 1).unwrap_or(i64::MAX)));
        }
        Rc::new(Frame {
            values: Rc::default(),
            vars,
            parent: Some(parent.clone()),
            suffix: format!("{}[{index}]", parent.suffix),
        })
    }

    pub fn set(&self, index: StepIdx, value: Value) {
        self.values.borrow_mut().insert(index, value);
    }

    pub fn get(&self, index: StepIdx) -> Option<Value> {
        let mut frame = Some(self);
        while let Some(current) = frame {
            if let Some(value) = current.values.borrow().get(&index) {
                return Some(value.clone());
            }
            frame = current.parent.as_deref();
        }
        None
    }

    fn var(&self, name: &str) -> Option<Value> {
        let mut frame = Some(self);
        while let Some(current) = frame {
            if let Some(value) = current.vars.get(name) {
                return Some(value.clone());
            }
            frame = current.parent.as_deref();
        }
        None
    }
}

/// Money spent inside a named block and every block around it.
pub struct Costs {
    micros: Cell<i64>,
    tokens: Cell<u64>,
    parent: Option<Rc<Costs>>,
}

impl Costs {
    pub fn root() -> Rc<Costs> {
        Rc::new(Costs { micros: Cell::new(0), tokens: Cell::new(0), parent: None })
    }

    pub fn child(parent: &Rc<Costs>) -> Rc<Costs> {
        Rc::new(Costs { micros: Cell::new(0), tokens: Cell::new(0), parent: Some(parent.clone()) })
    }

    pub fn add(&self, micros: i64, tokens: u64) {
        let mut costs = Some(self);
        while let Some(current) = costs {
            current.micros.set(current.micros.get().saturating_add(micros));
            current.tokens.set(current.tokens.get().saturating_add(tokens));
            costs = current.parent.as_deref();
        }
    }

    pub fn micros(&self) -> i64 {
        self.micros.get()
    }
}

/// What an expression reads at one point of a run.
pub struct Scope<'a> {
    pub workflow: &'a Workflow,
    pub args: &'a IndexMap<String, Value>,
    pub frame: &'a Frame,
    pub env: &'a HashMap<String, String>,
}

impl Env for Scope<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.args.get(name).cloned()
    }

    fn loop_var(&self, name: &str) -> Option<Value> {
        self.frame.var(name)
    }

    fn step(&self, index: StepIdx) -> Option<Value> {
        // A step not run at all (its branch not taken, the run failed before it) reads as
        // skipped; the checker allows only `status`/`ok` reads where that can happen.
        self.frame.get(index).or_else(|| self.workflow.steps.get(index.0).map(|step| step_value(step, Status::Skipped)))
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn reads_environment(&self) -> bool {
        true
    }
}

/// The fields every step has, filled for a step that ended with `status`.
pub fn base_fields(
    status: Status,
    attempts: u32,
    duration_ms: u64,
    micros: i64,
    tokens: u64,
) -> IndexMap<String, Value> {
    IndexMap::from([
        ("status".to_owned(), Value::String(status.as_str().to_owned())),
        ("ok".to_owned(), Value::Bool(status == Status::Succeeded)),
        ("attempts".to_owned(), Value::Int(i64::from(attempts))),
        ("duration".to_owned(), Value::Duration(duration_ms)),
        ("cost".to_owned(), Value::Money(micros)),
        ("tokens".to_owned(), Value::Tokens(tokens)),
    ])
}

/// The fields a step of this kind adds, with their types.
pub fn kind_fields(step: &Step) -> IndexMap<String, Type> {
    match &step.kind {
        StepKind::Run(run) => {
            let mut fields = IndexMap::from([
                ("exit_code".to_owned(), Type::Int),
                ("stdout".to_owned(), Type::String),
                ("stderr".to_owned(), Type::String),
            ]);
            fields.extend(run.outputs.iter().map(|output| (output.name.clone(), output.ty.clone())));
            fields
        }
        StepKind::Agent(agent) => {
            let mut fields = IndexMap::from([("text".to_owned(), Type::String)]);
            fields.extend(agent.returns.iter().map(|(name, ty)| (name.clone(), ty.clone())));
            fields
        }
        StepKind::Gate(_) => {
            IndexMap::from([("approved_by".to_owned(), Type::String), ("comment".to_owned(), Type::String)])
        }
        StepKind::Watch(watch) => {
            let mut fields = IndexMap::from([("polls".to_owned(), Type::Int)]);
            fields.extend(watch.poll.outputs.iter().map(|output| (output.name.clone(), output.ty.clone())));
            fields
        }
        StepKind::Call(_) | StepKind::Wait { .. } => IndexMap::new(),
        StepKind::Block(_) => IndexMap::new(),
    }
}

/// A step's value with every field at its zero value: a step that never ran.
pub fn step_value(step: &Step, status: Status) -> Value {
    if let StepKind::Block(kind) = step.kind {
        return block_value(kind, status == Status::Succeeded, 0, 0, 0);
    }
    let mut fields = base_fields(status, 0, 0, 0, 0);
    for (name, ty) in kind_fields(step) {
        fields.insert(name, default_value(&ty));
    }
    Value::Record(fields)
}

pub fn block_value(kind: BlockKind, ok: bool, micros: i64, duration_ms: u64, iterations: u64) -> Value {
    let mut fields = IndexMap::from([
        ("ok".to_owned(), Value::Bool(ok)),
        ("cost".to_owned(), Value::Money(micros)),
        ("duration".to_owned(), Value::Duration(duration_ms)),
    ]);
    if kind == BlockKind::Repeat {
        fields.insert("iterations".to_owned(), Value::Int(i64::try_from(iterations).unwrap_or(i64::MAX)));
    }
    Value::Record(fields)
}

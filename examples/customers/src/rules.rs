//! The customer rules: the typed decide methods for each command and the evolve methods for each event.

use crate::schema::{
    ChangeCustomer, Customer, CustomerChanged, CustomerDecide, CustomerDeleted, CustomerEvolve, CustomerRegistered,
    CustomerState, DeleteCustomer, RegisterCustomer,
};

/// Why the customer aggregate rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// `RegisterCustomer` under a code that is, or was, in use.
    #[error("the customer code is already taken")]
    AlreadyRegistered,
    /// A command on a customer that was never registered.
    #[error("there is no such customer")]
    NotFound,
    /// A command on a customer that was deleted.
    #[error("the customer was deleted")]
    Deleted,
    /// A name that is empty or only whitespace.
    #[error("a customer needs a name")]
    BlankName,
    /// A category that is empty or only whitespace.
    #[error("a category needs a name")]
    BlankCategory,
}

/// The categories as the registry keeps them: trimmed, each once, sorted; `None` when one is blank.
pub fn normalized_categories(categories: &[String]) -> Option<Vec<String>> {
    let mut normalized = Vec::with_capacity(categories.len());
    for category in categories {
        let trimmed = category.trim();
        if trimmed.is_empty() {
            return None;
        }
        normalized.push(trimmed.to_owned());
    }
    normalized.sort();
    normalized.dedup();
    Some(normalized)
}

/// The checked details of a registration or a change: a name that is not blank and normalized categories.
fn details(name: String, categories: &[String]) -> Result<(String, Vec<String>), CustomerError> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(CustomerError::BlankName);
    }
    let categories = normalized_categories(categories).ok_or(CustomerError::BlankCategory)?;
    Ok((name, categories))
}

/// A customer that can take a command: registered and not deleted.
fn active(state: &CustomerState) -> Result<(), CustomerError> {
    match (state.registered, state.deleted) {
        (false, _) => Err(CustomerError::NotFound),
        (true, true) => Err(CustomerError::Deleted),
        (true, false) => Ok(()),
    }
}

impl CustomerDecide for Customer {
    type Error = CustomerError;

    fn register_customer(
        &self,
        state: &CustomerState,
        command: RegisterCustomer,
    ) -> Result<CustomerRegistered, CustomerError> {
        if state.registered {
            return Err(CustomerError::AlreadyRegistered);
        }
        let (name, categories) = details(command.name, &command.categories)?;
        Ok(CustomerRegistered { name, points: command.points, categories })
    }

    fn change_customer(
        &self,
        state: &CustomerState,
        command: ChangeCustomer,
    ) -> Result<Option<CustomerChanged>, CustomerError> {
        active(state)?;
        let (name, categories) = details(command.name, &command.categories)?;
        if name == state.name && command.points == state.points && categories == state.categories {
            return Ok(None);
        }
        Ok(Some(CustomerChanged { name, points: command.points, categories }))
    }

    fn delete_customer(
        &self,
        state: &CustomerState,
        _command: DeleteCustomer,
    ) -> Result<CustomerDeleted, CustomerError> {
        active(state)?;
        Ok(CustomerDeleted {})
    }
}

impl CustomerEvolve for CustomerState {
    fn customer_registered(&mut self, event: &CustomerRegistered) {
        self.registered = true;
        self.name.clone_from(&event.name);
        self.points = event.points;
        self.categories.clone_from(&event.categories);
    }

    fn customer_changed(&mut self, event: &CustomerChanged) {
        self.name.clone_from(&event.name);
        self.points = event.points;
        self.categories.clone_from(&event.categories);
    }

    fn customer_deleted(&mut self, _event: &CustomerDeleted) {
        self.deleted = true;
    }
}

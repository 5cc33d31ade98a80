//! The inventory rules: stock arrives, and an order reserves all of its lines or, when a product is short, none.

use std::collections::BTreeMap;

use crate::schema::{
    AddStock, Inventory, InventoryDecide, InventoryEvolve, InventoryState, ReserveStock, ReserveStockOutcome,
    StockAdded, StockReserved, StockShort,
};

/// Why the inventory aggregate rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// `AddStock` of no units.
    #[error("adding stock takes at least one unit")]
    NothingAdded,
    /// `ReserveStock` without lines.
    #[error("a reservation needs at least one line")]
    NoLines,
    /// `ReserveStock` for an order that was already reserved, or found short: each order is decided once, so that
    /// a reservation asked for twice (a process manager handed its event again) sets nothing aside twice.
    #[error("order {order_id} was already decided")]
    AlreadyDecided {
        /// The order.
        order_id: factum::types::Uuid,
    },
}

impl InventoryDecide for Inventory {
    type Error = InventoryError;

    fn add_stock(&self, _state: &InventoryState, command: AddStock) -> Result<StockAdded, InventoryError> {
        if command.quantity == 0 {
            return Err(InventoryError::NothingAdded);
        }
        Ok(StockAdded { sku: command.sku, quantity: command.quantity })
    }

    fn reserve_stock(
        &self,
        state: &InventoryState,
        command: ReserveStock,
    ) -> Result<ReserveStockOutcome, InventoryError> {
        if state.decided_orders.contains(&command.order_id) {
            return Err(InventoryError::AlreadyDecided { order_id: command.order_id });
        }
        if command.lines.is_empty() {
            return Err(InventoryError::NoLines);
        }
        // A product may be on several lines: what counts is the sum.
        let mut requested: BTreeMap<&str, u64> = BTreeMap::new();
        for line in &command.lines {
            *requested.entry(&line.sku).or_default() += u64::from(line.quantity);
        }
        let short = command.lines.iter().find_map(|line| {
            let wanted = requested[line.sku.as_str()];
            let available = state.available.get(&line.sku).copied().unwrap_or(0);
            (wanted > available).then(|| (line.sku.clone(), wanted, available))
        });
        Ok(match short {
            Some((sku, requested, available)) => {
                StockShort { order_id: command.order_id, sku, requested, available }.into()
            }
            None => StockReserved { order_id: command.order_id, lines: command.lines }.into(),
        })
    }
}

impl InventoryEvolve for InventoryState {
    fn stock_added(&mut self, event: &StockAdded) {
        let units = self.available.entry(event.sku.clone()).or_default();
        *units = units.saturating_add(u64::from(event.quantity));
    }

    fn stock_reserved(&mut self, event: &StockReserved) {
        for line in &event.lines {
            let units = self.available.entry(line.sku.clone()).or_default();
            *units = units.saturating_sub(u64::from(line.quantity));
        }
        self.decided_orders.push(event.order_id);
    }

    fn stock_short(&mut self, event: &StockShort) {
        self.decided_orders.push(event.order_id);
    }
}

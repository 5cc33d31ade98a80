//! The customer rules, given/when/then: given these events, when this command, then these events or this error.

use customers_example::{
    normalized_categories,
    schema::{
        ChangeCustomer, Customer, CustomerChanged, CustomerDeleted, CustomerEvent, CustomerRegistered, DeleteCustomer,
        RegisterCustomer,
    },
    CustomerError,
};
use factum::testing::AggregateTest;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

fn register(name: &str, points: i64, categories: &[&str]) -> RegisterCustomer {
    RegisterCustomer { name: name.into(), points, categories: strings(categories) }
}

fn change(name: &str, points: i64, categories: &[&str]) -> ChangeCustomer {
    ChangeCustomer { name: name.into(), points, categories: strings(categories) }
}

fn registered() -> CustomerEvent {
    CustomerRegistered { name: "Ada".into(), points: 10, categories: strings(&["player", "vip"]) }.into()
}

fn deleted() -> CustomerEvent {
    CustomerDeleted {}.into()
}

fn customer() -> AggregateTest<Customer> {
    AggregateTest::given_no_events()
}

#[test]
fn a_code_is_registered_once_and_never_reused() {
    customer().when(register(" Ada ", 10, &["vip", " player", "vip"])).then(vec![registered()]);
    AggregateTest::<Customer>::given([registered()])
        .when(register("Bob", 0, &[]))
        .then_error(CustomerError::AlreadyRegistered);
    AggregateTest::<Customer>::given([registered(), deleted()])
        .when(register("Bob", 0, &[]))
        .then_error(CustomerError::AlreadyRegistered);
}

#[test]
fn names_and_categories_are_checked() {
    let check = |command: RegisterCustomer, expected: CustomerError| {
        customer().when(command).then_error(expected);
    };
    check(register("  ", 1, &["vip"]), CustomerError::BlankName);
    check(register("Ada", 1, &["vip", ""]), CustomerError::BlankCategory);
    check(register("Ada", 1, &["\t"]), CustomerError::BlankCategory);
    AggregateTest::<Customer>::given([registered()]).when(change("", 1, &[])).then_error(CustomerError::BlankName);
}

#[test]
fn a_change_records_the_full_new_state() {
    AggregateTest::<Customer>::given([registered()])
        .when(change("Ada Lovelace", -5, &["vip"]))
        .then(vec![CustomerChanged { name: "Ada Lovelace".into(), points: -5, categories: strings(&["vip"]) }.into()])
        .then_state(|state| {
            assert_eq!(state.name, "Ada Lovelace");
            assert_eq!(state.points, -5);
            assert_eq!(state.categories, strings(&["vip"]));
        });
}

#[test]
fn a_change_to_what_the_customer_already_is_records_nothing() {
    AggregateTest::<Customer>::given([registered()]).when(change("Ada", 10, &["vip", "player", "vip "])).then(vec![]);
}

#[test]
fn only_an_active_customer_changes_or_is_deleted() {
    customer().when(change("Ada", 1, &[])).then_error(CustomerError::NotFound);
    customer().when(DeleteCustomer {}).then_error(CustomerError::NotFound);
    AggregateTest::<Customer>::given([registered(), deleted()])
        .when(change("Ada", 1, &[]))
        .then_error(CustomerError::Deleted);
    AggregateTest::<Customer>::given([registered(), deleted()])
        .when(DeleteCustomer {})
        .then_error(CustomerError::Deleted);
    AggregateTest::<Customer>::given([registered()]).when(DeleteCustomer {}).then(vec![deleted()]);
}

#[test]
fn categories_are_normalized() {
    let check = |input: &[&str], expected: Option<&[&str]>| {
        assert_eq!(normalized_categories(&strings(input)), expected.map(strings), "{input:?}");
    };
    check(&[], Some(&[]));
    check(&["b", "a", "b"], Some(&["a", "b"]));
    check(&[" a ", "a"], Some(&["a"]));
    check(&["a", " "], None);
}

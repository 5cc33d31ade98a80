//! Every fixture of the conference schema (`schemas/fixtures/conference/<Event>.v<N>.json`, a sample payload of each
//! released event version) reads as the event it stands for, so a change that stops this build reading what was
//! stored fails here.

use conference_example::schema::ConferenceEvent;
use factum::EventSet;

#[test]
fn every_fixture_reads_as_its_event() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/fixtures/conference");
    let mut read = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (name, version) = file.strip_suffix(".json").and_then(|stem| stem.split_once(".v")).unwrap();
        let payload = std::fs::read(&path).unwrap();
        let event = ConferenceEvent::decode(name, version.parse().unwrap(), &payload)
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        assert_eq!(event.name(), name);
        read.push(name.to_owned());
    }
    read.sort();
    let mut names: Vec<String> = ConferenceEvent::NAMES.iter().map(|name| name.to_string()).collect();
    names.sort();
    assert_eq!(read, names, "one fixture per event version");
}

//! Read ACLs of hosted data collections.

use crate::wire::AclWire;

/// Who may read a hosted collection.
///
/// ```
/// use algorithmia_client::DataAcl;
///
/// assert_eq!(DataAcl::default(), DataAcl::MyAlgorithms);
/// assert_eq!(DataAcl::Public.read_list(), vec!["user://*".to_owned()]);
/// assert_eq!(DataAcl::from_read_list(vec![]), DataAcl::Private);
/// // A value this crate does not know is kept, not lost.
/// let odd = DataAcl::from_read_list(vec!["group://staff".into()]);
/// assert_eq!(odd.read_list(), vec!["group://staff".to_owned()]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DataAcl {
    /// Only the owner (`[]`).
    Private,
    /// The owner's algorithms, whoever calls them (`["algo://.my/*"]`); the API's default.
    #[default]
    MyAlgorithms,
    /// Anyone (`["user://*"]`).
    Public,
    /// A read list this crate does not know, kept as received.
    Unknown(Vec<String>),
}

impl DataAcl {
    /// The ACL a read list means. Clients read the first element, as the official ones do.
    pub fn from_read_list(read: Vec<String>) -> Self {
        match read.first().map(String::as_str) {
            None => DataAcl::Private,
            Some("algo://.my/*") if read.len() == 1 => DataAcl::MyAlgorithms,
            Some("user://*") if read.len() == 1 => DataAcl::Public,
            _ => DataAcl::Unknown(read),
        }
    }

    /// The wire's read list.
    pub fn read_list(&self) -> Vec<String> {
        match self {
            DataAcl::Private => vec![],
            DataAcl::MyAlgorithms => vec!["algo://.my/*".to_owned()],
            DataAcl::Public => vec!["user://*".to_owned()],
            DataAcl::Unknown(read) => read.clone(),
        }
    }

    pub(crate) fn to_wire(&self) -> AclWire {
        AclWire {
            read: self.read_list(),
        }
    }
}

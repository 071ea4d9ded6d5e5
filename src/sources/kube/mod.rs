//! The live cluster: Argo CD Applications and Argo Rollouts over the Kubernetes API.

pub mod app_tree;
pub mod certs;
pub mod image_updater;
pub mod object;
pub mod parse;
mod partial;
pub mod pod_logs;
pub mod pods;
pub mod readyz;
pub mod trust;
pub mod watch;

/// What one kind's watch has: its objects by name, what a (re)list is gathering, whether it
/// has listed.
pub(crate) struct Held<T> {
    pub items: std::collections::BTreeMap<String, T>,
    listing: Option<std::collections::BTreeMap<String, T>>,
    pub listed: bool,
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Self {
            items: std::collections::BTreeMap::new(),
            listing: None,
            listed: false,
        }
    }
}

impl<T> Held<T> {
    /// Applies one watch event; whether what is held changed and should be sent. `key` names
    /// an object (its name in one namespace, `namespace/name` across them), for a deletion
    /// as for the rest; `parse` makes the held value, or None to skip the object.
    pub fn apply(
        &mut self,
        ev: kube::runtime::watcher::Event<kube::api::DynamicObject>,
        key: impl Fn(&serde_json::Value) -> String,
        parse: impl Fn(&serde_json::Value) -> Option<T>,
    ) -> bool {
        let parse = |v: &serde_json::Value| parse(v).map(|t| (key(v), t));
        match ev {
            kube::runtime::watcher::Event::Init => {
                self.listing = Some(std::collections::BTreeMap::new());
                false
            }
            kube::runtime::watcher::Event::InitApply(o) => {
                if let Some((k, t)) = parse(&watch::into_value(o)) {
                    self.listing
                        .get_or_insert_with(std::collections::BTreeMap::new)
                        .insert(k, t);
                }
                false
            }
            kube::runtime::watcher::Event::InitDone => {
                // A relist replaces what was held: nothing deleted meanwhile survives.
                self.items = self.listing.take().unwrap_or_default();
                self.listed = true;
                true
            }
            kube::runtime::watcher::Event::Apply(o) => match parse(&watch::into_value(o)) {
                Some((k, t)) => {
                    self.items.insert(k, t);
                    self.listed
                }
                None => false,
            },
            kube::runtime::watcher::Event::Delete(o) => {
                let v = watch::into_value(o);
                let gone = self.items.remove(&key(&v)).is_some();
                gone && self.listed
            }
        }
    }
}

fn not_installed(e: &kube::runtime::watcher::Error) -> bool {
    use kube::runtime::watcher::Error as E;
    matches!(
        e,
        E::InitialListFailed(kube::Error::Api(s)) | E::WatchStartFailed(kube::Error::Api(s)) if s.code == 404
    )
}

/// Watches one kind in every namespace (a handful of objects: cert-manager's Certificates,
/// Image Updater's CRs), sending the whole list at each change through `wrap`. A kind the
/// cluster does not serve is said once with `absent` and looked for again every five minutes.
pub(crate) fn spawn_cluster_list<T: Clone + Send + Sync + 'static>(
    client: kube::Client,
    ar: kube::api::ApiResource,
    parse: fn(&serde_json::Value) -> Option<T>,
    wrap: fn(Result<Vec<T>, crate::state::Unread>) -> crate::state::Update,
    absent: &'static str,
    tx: tokio::sync::mpsc::Sender<crate::state::Update>,
) -> tokio::task::JoinHandle<()> {
    use crate::net::json::str_at;
    use futures::StreamExt;
    tokio::spawn(async move {
        loop {
            let api = kube::api::Api::<kube::api::DynamicObject>::all_with(client.clone(), &ar);
            let cfg = kube::runtime::watcher::Config::default().page_size(100);
            let mut stream = Box::pin(watch::resilient(api, cfg));
            let mut held: Held<T> = Held::default();
            let mut gone = false;
            while let Some(ev) = stream.next().await {
                let update = match ev {
                    Ok(ev) => held
                        .apply(
                            ev,
                            |v| {
                                format!(
                                    "{}/{}",
                                    str_at(v, &["metadata", "namespace"]),
                                    str_at(v, &["metadata", "name"])
                                )
                            },
                            parse,
                        )
                        .then(|| wrap(Ok(held.items.values().cloned().collect()))),
                    Err(e) if not_installed(&e) => {
                        gone = true;
                        Some(wrap(Err(crate::state::Unread::Absent(absent.into()))))
                    }
                    Err(e) => Some(wrap(Err(crate::state::Unread::Failed(watch::describe(&e))))),
                };
                if let Some(u) = update
                    && tx.send(u).await.is_err()
                {
                    return;
                }
                if gone {
                    break;
                }
            }
            // Not installed (or the stream ended): look again later; it may be installed.
            let secs = if gone { 300 } else { 5 };
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            if tx.is_closed() {
                return;
            }
        }
    })
}

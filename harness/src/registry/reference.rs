//! Image references (`n8nio/n8n:2.41.1`) and registry endpoints (Docker Hub, a mirror prefix, a URL),
//! and how an image name maps to a repository on each: Docker Hub puts one-part names under `library/`,
//! a mirror serves `<prefix path>/<name>` exactly as `docker push` to it stored them.

use crate::problem::{Problem, Result};

/// Docker Hub's Distribution API.
pub const DOCKER_HUB: &str = "https://registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The name as the manifest writes it, without registry host (`n8nio/n8n`, `postgres`).
    pub name: String,
    pub tag: String,
}

impl ImageRef {
    /// `repository:tag` (a registry host in front, `host:port/x/y:tag`, is dropped: the endpoint decides).
    pub fn parse(image: &str) -> Result<ImageRef> {
        let (name, tag) = image
            .rsplit_once(':')
            .filter(|(n, t)| !n.is_empty() && !t.is_empty() && !t.contains('/'))
            .ok_or_else(|| Problem::new(format!("image {image:?}"), "is not repository:tag"))?;
        let name = match name.split_once('/') {
            Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => rest,
            _ => name,
        };
        Ok(ImageRef { name: name.to_string(), tag: tag.to_string() })
    }

    pub fn with_tag(&self, tag: &str) -> ImageRef {
        ImageRef { name: self.name.clone(), tag: tag.to_string() }
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Where the Distribution API is, and the path its repositories sit under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port]`, no trailing slash.
    base: String,
    /// A mirror's path prefix (`team/mirror`), empty for none.
    prefix: String,
    docker_hub: bool,
}

impl Endpoint {
    pub fn docker_hub() -> Endpoint {
        Endpoint { base: DOCKER_HUB.into(), prefix: String::new(), docker_hub: true }
    }

    /// A URL (`http://127.0.0.1:5000`) or a mirror prefix as `AIWAH_REGISTRY_MIRROR` holds it
    /// (`mirror.example:5000/team`): without a scheme, loopback hosts speak HTTP (as the Docker engine
    /// allows them) and every other host HTTPS.
    pub fn parse(text: &str) -> Result<Endpoint> {
        let text = text.trim().trim_end_matches('/');
        let (scheme, rest) = match text.split_once("://") {
            Some((s @ ("http" | "https"), rest)) => (s.to_string(), rest),
            Some((other, _)) => return Err(Problem::new(format!("registry {text:?}"), format!("unknown scheme {other:?}")).hint("use http:// or https://")),
            None => (String::new(), text),
        };
        let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(Problem::new(format!("registry {text:?}"), "names no host"));
        }
        let loopback = ["127.", "localhost", "[::1]"].iter().any(|p| host.starts_with(p));
        let scheme = if scheme.is_empty() { if loopback { "http".into() } else { "https".into() } } else { scheme };
        let docker_hub = ["docker.io", "registry-1.docker.io", "index.docker.io"].contains(&host);
        let base = if docker_hub { DOCKER_HUB.to_string() } else { format!("{scheme}://{host}") };
        Ok(Endpoint { base, prefix: prefix.trim_matches('/').to_string(), docker_hub })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether this is Docker Hub (whose own API tells tag push times).
    pub fn is_docker_hub(&self) -> bool {
        self.docker_hub
    }

    /// The reference the engine pulls `image` by from here: the official name on Docker Hub,
    /// `host[:port][/prefix]/<name>:<tag>` elsewhere.
    pub fn pull_reference(&self, image: &ImageRef) -> String {
        if self.docker_hub {
            return image.to_string();
        }
        let host = self.base.split_once("://").map(|(_, h)| h).unwrap_or(&self.base);
        if self.prefix.is_empty() { format!("{host}/{image}") } else { format!("{host}/{}/{image}", self.prefix) }
    }

    /// The repository path of `image` on this registry.
    pub fn repository(&self, image: &ImageRef) -> String {
        let name = if self.docker_hub && !image.name.contains('/') { format!("library/{}", image.name) } else { image.name.clone() };
        if self.prefix.is_empty() { name } else { format!("{}/{name}", self.prefix) }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() { write!(f, "{}", self.base) } else { write!(f, "{}/{}", self.base, self.prefix) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_official_images_live_under_library() {
        let hub = Endpoint::docker_hub();
        assert_eq!(hub.repository(&ImageRef::parse("postgres:17.6").unwrap()), "library/postgres");
        assert_eq!(hub.repository(&ImageRef::parse("n8nio/n8n:2.41.1").unwrap()), "n8nio/n8n");
        assert_eq!(Endpoint::parse("docker.io").unwrap(), hub);
    }

    #[test]
    fn mirrors_keep_names_as_pushed_and_loopback_speaks_http() {
        let mirror = Endpoint::parse("127.0.0.1:5000").unwrap();
        assert_eq!(mirror.base(), "http://127.0.0.1:5000");
        assert_eq!(mirror.repository(&ImageRef::parse("postgres:17.6").unwrap()), "postgres");
        assert_eq!(mirror.pull_reference(&ImageRef::parse("n8nio/n8n:2.41.2").unwrap()), "127.0.0.1:5000/n8nio/n8n:2.41.2");
        assert_eq!(Endpoint::docker_hub().pull_reference(&ImageRef::parse("postgres:17.7").unwrap()), "postgres:17.7");
        let prefixed = Endpoint::parse("mirror.example:443/team/hub/").unwrap();
        assert_eq!(prefixed.base(), "https://mirror.example:443");
        assert_eq!(prefixed.repository(&ImageRef::parse("kong/kong:3.9.3").unwrap()), "team/hub/kong/kong");
        assert!(Endpoint::parse("ftp://x").unwrap_err().to_string().contains("unknown scheme"));
    }

    #[test]
    fn references_drop_a_registry_host_and_need_a_tag() {
        assert_eq!(ImageRef::parse("registry:5000/kong/kong:3.9.3").unwrap(), ImageRef { name: "kong/kong".into(), tag: "3.9.3".into() });
        assert!(ImageRef::parse("kong/kong").is_err());
    }
}

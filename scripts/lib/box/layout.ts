// What lives where on the box: the one definition the CLI and the cloud-init files share.
// The files in cloud-init/ name each path and unit as {{ NAME }} (the keys of BOX_LAYOUT),
// and user-data.ts fills them in, so a path changes here and nowhere else.

/** The app's source (a symlink to the active release); the app image is built from it. */
export const BOX_DIR = '/opt/pillbox';
export const COMPOSE_DIR = `${BOX_DIR}/compose`;
export const COMPOSE_FILE = `${COMPOSE_DIR}/compose.yaml`;
/** The override that runs PILLBOX_APP_IMAGE instead of building the app on the box. */
export const COMPOSE_PREBUILT_FILE = `${COMPOSE_DIR}/compose.prebuilt.yaml`;
export const COMPOSE_VERSIONS_ENV = `${COMPOSE_DIR}/.env`;
/** The box's own settings and secrets, outside the releases so activating one never touches them. */
export const ETC_DIR = '/etc/pillbox';
export const SETTINGS_ENV = `${ETC_DIR}/pillbox.env`;
export const SECRETS_ENV = `${ETC_DIR}/secrets.env`;
/**
 * The elastic password as a file: compose bind-mounts it as the secret elastic_password, so its owner and mode here
 * are what the containers see (box/secret-files.ts). Written by FETCH_SECRETS_BIN, checked by CHECK_SECRETS_BIN.
 */
export const ELASTIC_PASSWORD_FILE = `${ETC_DIR}/elastic_password`;
/** What the box keeps about itself across reboots (the bootstrap's status). */
export const STATE_DIR = '/var/lib/pillbox';
/**
 * The first-boot bootstrap's progress, one `key=value` per line (see box/bootstrap-status.ts):
 * `state=running|failed|done`, `step=<name>` and, once failed, `exit=<code>`.
 */
export const BOOTSTRAP_STATUS = `${STATE_DIR}/bootstrap.status`;
/** Everything the bootstrap printed, for the last lines of a failed step. */
export const BOOTSTRAP_LOG = '/var/log/pillbox-bootstrap.log';
/** Must equal `name:` in compose/compose.yaml (a test checks): compose names images and containers after it. */
export const COMPOSE_PROJECT = 'pillbox';

/** Caddy's data volume (certificates, ACME account, the blue/green route file), as compose names it. */
export const EDGE_DATA_VOLUME = `${COMPOSE_PROJECT}_caddy-data`;
/** The blue/green route file, relative to Caddy's data directory: while it exists, app-next is the routed color. */
export const EDGE_ROUTE_PATH = 'pillbox/route-app-next';
/** Where an expired certificate is set aside, relative to Caddy's data directory: outside its storage (caddy/), which its cleaner prunes. */
export const EDGE_EXPIRED_DIR = 'pillbox/expired-certificates';
/** The SSM agent's own log on AL2023 (amazon-ssm-agent's seelog config); the bootstrap reads it. */
export const SSM_AGENT_LOG = '/var/log/amazon/ssm/amazon-ssm-agent.log';

export const SYSTEMD_DIR = '/etc/systemd/system';
export const STACK_UNIT = 'pillbox.service';
export const EXPIRE_SERVICE = 'pillbox-expire.service';
export const EXPIRE_TIMER = 'pillbox-expire.timer';
export const EXPIRE_DROP_IN = `${SYSTEMD_DIR}/${EXPIRE_TIMER}.d/expires-at.conf`;
export const BACKUP_SERVICE = 'pillbox-backup.service';
export const BACKUP_TIMER = 'pillbox-backup.timer';
export const EDGE_CHECK_SERVICE = 'pillbox-edge-check.service';
export const EDGE_CHECK_TIMER = 'pillbox-edge-check.timer';
export const BOX_STATUS_SERVICE = 'pillbox-box-status.service';
export const BOX_STATUS_TIMER = 'pillbox-box-status.timer';

/** Each commit's source unpacks into its own folder here; BOX_DIR points at the active one. */
export const RELEASES_DIR = '/var/lib/pillbox/releases';
/** In each release: the commit it holds (there is no .git on the box). */
export const COMMIT_FILE = '.pillbox-commit';
/** The commit of the image tagged pillbox-app:rollback, written by deploy when it tags it; `npm run rollback` reads it. */
export const ROLLBACK_COMMIT_FILE = '/var/lib/pillbox/rollback.commit';
/** The release whose infrastructure (compose.yaml, the Caddyfile, elk/*.yml, the set-up images) a deploy last applied in full. */
export const INFRA_RELEASE_FILE = '/var/lib/pillbox/infrastructure.commit';
/** Dumps and restore files, on the root volume: /tmp is a RAM-backed tmpfs on AL2023. */
export const WORK_DIR = '/var/lib/pillbox/work';

/** The box's helper programs, written by cloud-init. */
export const BOOTSTRAP_BIN = '/usr/local/sbin/pillbox-bootstrap';
export const SOURCE_BIN = '/usr/local/sbin/pillbox-source';
export const S3_BIN = '/usr/local/sbin/pillbox-s3';
/** Runs one AWS CLI call, retried while the instance role comes into effect (s3.sh, fetch-secrets.sh). */
export const AWS_RETRY_BIN = '/usr/local/sbin/pillbox-aws-retry';
export const BACKUP_BIN = '/usr/local/sbin/pillbox-backup';
export const FETCH_SECRETS_BIN = '/usr/local/sbin/pillbox-fetch-secrets';
/** Refuses to start the stack, in one line, when a secret file breaks the rule of the images that read it. */
export const CHECK_SECRETS_BIN = '/usr/local/sbin/pillbox-check-secrets';
/** Writes PILLBOX_SITE (the domain, or the public IPv4) before every start of the stack. */
export const EDGE_SITE_BIN = '/usr/local/sbin/pillbox-edge-site';
export const INSTALL_PLUGINS_BIN = '/usr/local/sbin/pillbox-install-docker-plugins';
/** Reports disk use and container restarts to Elasticsearch each minute, for the alert rules (box-status.sh). */
export const BOX_STATUS_BIN = '/usr/local/sbin/pillbox-box-status';
/** The restart counts last reported, so each restart is reported once. */
export const BOX_STATUS_STATE = '/var/lib/pillbox/box-status.restarts';
export const SYSCTL_FILE = '/etc/sysctl.d/90-pillbox.conf';

/** Kibana listens on the box's loopback only; reach it through SSM port forwarding. */
export const KIBANA_PORT = 5601;
/** The app's port inside its container. */
export const APP_CONTAINER_PORT = 3000;
/** Caddy's plain-HTTP port on the box's loopback (compose.yaml publishes 127.0.0.1:8080): probes reach the app here. */
export const EDGE_LOCAL_PORT = 8080;

/** Every path and unit name above, by the placeholder name the cloud-init files use. */
export const BOX_LAYOUT = {
  BOX_DIR,
  COMPOSE_DIR,
  COMPOSE_FILE,
  COMPOSE_VERSIONS_ENV,
  ETC_DIR,
  SETTINGS_ENV,
  SECRETS_ENV,
  ELASTIC_PASSWORD_FILE,
  STATE_DIR,
  BOOTSTRAP_STATUS,
  BOOTSTRAP_LOG,
  SSM_AGENT_LOG,
  SYSTEMD_DIR,
  STACK_UNIT,
  EXPIRE_SERVICE,
  EXPIRE_TIMER,
  EXPIRE_DROP_IN,
  BACKUP_SERVICE,
  BACKUP_TIMER,
  RELEASES_DIR,
  COMMIT_FILE,
  WORK_DIR,
  BOOTSTRAP_BIN,
  SOURCE_BIN,
  S3_BIN,
  AWS_RETRY_BIN,
  BACKUP_BIN,
  FETCH_SECRETS_BIN,
  CHECK_SECRETS_BIN,
  EDGE_SITE_BIN,
  EDGE_DATA_VOLUME,
  EDGE_ROUTE_PATH,
  EDGE_EXPIRED_DIR,
  EDGE_CHECK_SERVICE,
  EDGE_CHECK_TIMER,
  BOX_STATUS_BIN,
  BOX_STATUS_STATE,
  BOX_STATUS_SERVICE,
  BOX_STATUS_TIMER,
  INSTALL_PLUGINS_BIN,
  SYSCTL_FILE,
} as const satisfies Record<string, string>;

// What lives where on the box: the one definition the CLI and the cloud-init files share.

export const BOX_DIR = '/opt/pillbox';
export const COMPOSE_DIR = `${BOX_DIR}/compose`;
export const COMPOSE_FILE = `${COMPOSE_DIR}/compose.yaml`;
export const COMPOSE_VERSIONS_ENV = `${COMPOSE_DIR}/.env`;
export const ETC_DIR = '/etc/pillbox';
export const SETTINGS_ENV = `${ETC_DIR}/pillbox.env`;
export const SECRETS_ENV = `${ETC_DIR}/secrets.env`;
export const COMPOSE_PROJECT = 'pillbox';

export const STACK_UNIT = 'pillbox.service';
export const EXPIRE_SERVICE = 'pillbox-expire.service';
export const EXPIRE_TIMER = 'pillbox-expire.timer';
export const SYSTEMD_DIR = '/etc/systemd/system';
export const EXPIRE_DROP_IN = `${SYSTEMD_DIR}/${EXPIRE_TIMER}.d/expires-at.conf`;

/** Kibana listens on the box's loopback only; reach it through SSM port forwarding. */
export const KIBANA_PORT = 5601;
/** The app's port inside its container. */
export const APP_CONTAINER_PORT = 3000;

// The Kibana pages `npm run kibana -- --open` opens, by URL rather than by menu path.
//
// Checked against Kibana's source (elastic/kibana, 9.x layout under x-pack/solutions/observability):
// - APM registers its app at `/app/apm` (plugins/apm/public/plugin.ts), and a service's
//   overview is the route `/services/{serviceName}/overview`
//   (plugins/apm/public/components/routing/service_detail/index.tsx); a missing time
//   range is filled in by the app (RedirectWithDefaultDateRange), ours asks for the last hour.
// - The Uptime app is `uptime` (plugins/uptime/public/plugin.ts: feature catalogue path
//   `/app/uptime`); its monitor list is the app's root. Kibana 9 hides it unless there is
//   recent Heartbeat data or `observability:enableLegacyUptimeApp` is on, which
//   elk/setup turns on.
// - Discover's URL state (plugins/discover, src/platform): `_g` holds the time range, `_a.dataSource`
//   the data view by id; `pillbox-logs` is created by elk/setup (DATA_VIEWS in elk/setup/src/kibana.ts).
// None of the pages has been opened against a running 9.5 Kibana here (no Elastic images).

/** Must equal the id of the container logs data view elk/setup creates (a test checks). */
export const LOGS_DATA_VIEW_ID = 'pillbox-logs';

/** Must equal the default of ELASTIC_APM_SERVICE_NAME in compose/compose.yaml (a test checks). */
export const APM_SERVICE_NAME = 'pillbox';

export interface KibanaPage {
  title: string;
  url: string;
}

export const kibanaPages = (baseUrl: string): KibanaPage[] => [
  { title: `APM, service ${APM_SERVICE_NAME}`, url: `${baseUrl}/app/apm/services/${APM_SERVICE_NAME}/overview?rangeFrom=now-1h&rangeTo=now` },
  { title: 'Uptime monitors', url: `${baseUrl}/app/uptime` },
  {
    title: 'Container logs',
    url: `${baseUrl}/app/discover#/?_g=(time:(from:now-1h,to:now))&_a=(dataSource:(dataViewId:'${LOGS_DATA_VIEW_ID}',type:dataView))`,
  },
];

export {
  type CapacitySummary,
  CHARTED_METRICS,
  DASHBOARD_TOPICS,
  type DashboardFeed,
  type DashboardFeedOptions,
  DashboardState,
  type DashboardTable,
  type HostSeries,
  startDashboardFeed,
} from './dashboard-feed.js';
export {
  DASHBOARD_ROUTES,
  type DashboardOptions,
  type DashboardSnapshot,
  dashboardExtension,
  dashboardSnapshot,
} from './routes.js';

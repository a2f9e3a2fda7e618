export { segmentRoutes, type SegmentRoutesOptions } from './routes.js';
export { readProfileSegments } from './profile-segments.js';

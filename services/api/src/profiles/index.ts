export { ProfileCache } from './profile-cache.js';
export { ProfileService, type ProfileServiceDeps } from './profile-service.js';
export { profileRoutes } from './routes.js';

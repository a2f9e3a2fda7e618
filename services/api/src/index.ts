export { apiPlugin, type ApiPluginOptions } from './plugin.js';
export { ProfileCache, ProfileService, type ProfileServiceDeps } from './profiles/index.js';

export { apiPlugin, type ApiPluginOptions } from './plugin.js';

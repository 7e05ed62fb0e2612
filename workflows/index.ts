export { linkWorkflow } from './link';

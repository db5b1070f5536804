// The spec's facts, for code that implements or tests the endpoint (e.g. the reference server).
export {
  defaultServerUrl,
  errorCodes,
  jwtAuthContentTypes,
  jwtAuthFormFields,
  maxBodyBytes,
  xFieldsHeader,
} from './generated/jwt-auth-operation.js';
export type { components, operations, paths } from './generated/openapi.js';

export { SCENARIO_VERSION, scenarioSchema, type ScenarioData, type ScenarioInput } from './schema';
export {
  SCENARIO_LIMITS,
  describeScenario,
  formatScenarioIssue,
  loadScenarioFile,
  parseScenario,
  redactScenario,
  scenarioError,
  validateScenarioFile,
  type ParseScenarioOptions,
  type Scenario,
  type ScenarioAccount,
  type ScenarioIssue,
  type ScenarioMode,
} from './loader';
export { substituteEnv, type Env } from './env';
export { DURATION_HINT, parseDuration } from './duration';

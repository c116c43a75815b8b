/**
 * The stack registry: every deployable stack, one line each (its folder under charts/ holds the
 * chart, the config schema and the values per environment). Order = output order.
 */
export { stack as wondernest } from './wondernest';
export { stack as pagodirecto } from './pagodirecto';
export { stack as ecommerce } from './ecommerce';

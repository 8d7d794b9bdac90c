/** Progress of a run: the view (pure), its renderers (terminal bar, plain lines, JSON events), the timeline, the observer. */
export { buildView, formatBar, formatLine, compact, usd, RateMeter, type ProgressView } from './view.js';
export { ProgressRenderer, CLEAR_LINE, type RenderMode, type RendererOptions, type TextSink } from './renderer.js';
export { EventWriter, progressEvent, type ProgressEvent } from './events.js';
export { TimelineRecorder, readTimeline, thin, type Timeline, type TimelinePoint } from './timeline.js';
export { ProgressObserver, type ProgressObserverOptions } from './observer.js';

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { apiKey, onKeyNeeded, setApiKey } from './api.js';
import { CampaignsPage } from './pages/campaigns-page.js';
import { ChannelsPage } from './pages/channels-page.js';
import { CohortsPage } from './pages/cohorts-page.js';
import { CustomerPage } from './pages/customer-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { LifecyclePage } from './pages/lifecycle-page.js';
import { ClustersPage, ClvPage, RfmPage } from './pages/models-pages.js';
import { OverviewPage } from './pages/overview-page.js';
import { SegmentsPage } from './pages/segments-page.js';
import { href, useRoute, type Route } from './router.js';
import './styles.css';

const PAGES: {
  path: string;
  title: string;
  page: (props: { route: Route }) => preact.JSX.Element;
}[] = [
  { path: 'overview', title: 'Overview', page: OverviewPage },
  { path: 'lifecycle', title: 'Lifecycle', page: LifecyclePage },
  { path: 'channels', title: 'Channels', page: ChannelsPage },
  { path: 'campaigns', title: 'Campaigns', page: CampaignsPage },
  { path: 'cohorts', title: 'Cohorts', page: CohortsPage },
  { path: 'segments', title: 'Segments', page: SegmentsPage },
  { path: 'customers', title: 'Customers', page: CustomerPage },
  { path: 'rfm', title: 'RFM', page: RfmPage },
  { path: 'clv', title: 'CLV', page: ClvPage },
  { path: 'clusters', title: 'Clusters', page: ClustersPage },
  { path: 'jobs', title: 'Jobs', page: JobsPage },
];

/** Asks for an API key once per browser session, when the API says one is needed. */
function KeyForm(props: { onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <main class="key-form">
      <h1>Rapport console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setApiKey(value.trim());
          props.onSaved();
        }}
      >
        <label>
          API key (kept for this browser session only)
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            required
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Open</button>
      </form>
      {apiKey() ? (
        <p class="error" role="alert">
          That key was refused; enter another.
        </p>
      ) : null}
    </main>
  );
}

function App() {
  const route = useRoute();
  const [needKey, setNeedKey] = useState(false);
  const [session, setSession] = useState(0);
  useEffect(() => onKeyNeeded(() => setNeedKey(true)), []);
  if (needKey) {
    return (
      <KeyForm
        onSaved={() => {
          setNeedKey(false);
          setSession((n) => n + 1);
        }}
      />
    );
  }
  const current = PAGES.find((page) => page.path === route.path[0]) ?? PAGES[0]!;
  const Page = current.page;
  return (
    <>
      <header>
        <a class="brand" href={href(['overview'])}>
          Rapport
        </a>
        <nav aria-label="pages">
          {PAGES.map((page) => (
            <a href={href([page.path])} aria-current={page === current ? 'page' : undefined}>
              {page.title}
            </a>
          ))}
        </nav>
        {apiKey() ? (
          <button
            type="button"
            class="link"
            onClick={() => {
              setApiKey(null);
              setNeedKey(true);
            }}
          >
            Forget key
          </button>
        ) : null}
      </header>
      <main key={session}>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

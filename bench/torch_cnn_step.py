# The article's CIFAR CNN training step (batch 4, SGD momentum) in PyTorch with one thread, for the
# wasm-vs-PyTorch step-time comparison in bench/README.md. Run: /usr/bin/python3 bench/torch_cnn_step.py
import time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1); torch.manual_seed(0)
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.conv1=nn.Conv2d(3,6,5); s.pool=nn.MaxPool2d(2,2); s.conv2=nn.Conv2d(6,16,5)
        s.fc1=nn.Linear(400,120); s.fc2=nn.Linear(120,84); s.fc3=nn.Linear(84,10)
    def forward(s,x):
        x=s.pool(F.relu(s.conv1(x))); x=s.pool(F.relu(s.conv2(x))); x=torch.flatten(x,1)
        return s.fc3(F.relu(s.fc2(F.relu(s.fc1(x)))))
net=Net(); opt=torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9); crit=nn.CrossEntropyLoss()
x=torch.randn(4,3,32,32); y=torch.randint(0,10,(4,))
def step(clip):
    opt.zero_grad(); loss=crit(net(x),y); loss.backward()
    if clip: torch.nn.utils.clip_grad_norm_(net.parameters(), 2.0)
    opt.step()
for _ in range(20): step(False)
for clip in (False, True, False, True):
    t=[]; 
    for _ in range(200):
        t0=time.perf_counter(); step(clip); t.append(time.perf_counter()-t0)
    t.sort(); print('clip' if clip else 'bare', 'median ms', round(t[len(t)//2]*1000,3))
